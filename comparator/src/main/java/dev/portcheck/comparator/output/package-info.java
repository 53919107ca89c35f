/**
 * Renderers of a {@link dev.portcheck.comparator.ComparisonReport}, kept apart from the data: a
 * text table for people and a versioned JSON document for machines.
 */
package dev.portcheck.comparator.output;
