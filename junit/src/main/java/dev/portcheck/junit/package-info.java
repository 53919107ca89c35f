/**
 * JUnit 5 assertions over portcheck: {@link dev.portcheck.junit.PortAssertions} puts a model check
 * into a user's own test suite and fails with the explanation the command line prints.
 */
package dev.portcheck.junit;
