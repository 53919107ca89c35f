package dev.portcheck.cli;

import java.util.concurrent.Callable;

/**
 * A {@code portcheck} subcommand that lives in another module and joins the command line when its
 * jar is on the class path, found with {@link java.util.ServiceLoader}: the benchmark harness
 * ({@code portcheck bench}, module {@code bench}) is a developer's tool, so the product CLI does
 * not depend on it and the installed distribution leaves it out.
 *
 * <p>An implementation is a picocli {@code @Command} class with a public no-argument constructor,
 * listed in {@code META-INF/services/dev.portcheck.cli.PortcheckSubcommand}; it returns an exit
 * code of {@link ExitCodes} and may use the shared mixins ({@link CommonOptions}, {@link
 * ProbeOptions}).
 */
public interface PortcheckSubcommand extends Callable<Integer> {}
