/**
 * The {@code portcheck} command line: picocli commands that open models through {@link
 * dev.portcheck.importers.api.Importers}, run the comparator and print through its renderers. Exit
 * codes: 0 match, 1 difference found, 2 could not check.
 */
package dev.portcheck.cli;
