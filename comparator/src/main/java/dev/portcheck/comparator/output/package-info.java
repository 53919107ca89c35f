/**
 * Renderers of a {@link dev.portcheck.comparator.report.ComparisonReport}, kept apart from the
 * data: a text table for people, a versioned JSON document for machines, a self-contained HTML page
 * and JUnit XML for CI. {@link dev.portcheck.comparator.output.FindingText} is the one place where
 * a finding becomes a sentence and a JUnit-shaped failure text; every renderer and {@code
 * PortAssertions} word findings through it.
 */
package dev.portcheck.comparator.output;
