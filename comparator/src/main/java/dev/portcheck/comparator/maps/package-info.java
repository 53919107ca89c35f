/**
 * Feature maps of one layer, captured for people to look at: the first diverging layer's
 * activations, re-run on one probe with only that layer tapped and reduced to a few small channels,
 * so that a report can show them side by side without holding a network's activations.
 */
package dev.portcheck.comparator.maps;
