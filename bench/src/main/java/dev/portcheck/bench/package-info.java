/**
 * The benchmark harness, {@code portcheck bench}: what the layer walk costs against plain inference
 * per engine, and what a whole comparison costs in time and memory, measured in one run so that the
 * ratios are comparable. A developer's tool in a module of its own: it joins the {@code portcheck}
 * command line as a {@link dev.portcheck.cli.PortcheckSubcommand} when its jar is on the class path
 * ({@code ./portcheck} in a source checkout puts it there).
 */
package dev.portcheck.bench;
