package dev.portcheck.bench;

import dev.portcheck.importers.api.PortcheckException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command as a child process and measures it from outside, as a user's shell would see it:
 * wall time and peak resident memory.
 *
 * <p>The peak is the largest {@code VmHWM} (the kernel's high-water mark of resident memory) among
 * the child and its descendants, read from {@code /proc} every {@link #POLL_MS} ms while it runs. A
 * launcher script stays the parent of the process doing the work (portcheck's bash launcher keeps
 * the JVM as its child to filter its stderr), so the child alone would show a few MiB. As VmHWM
 * only grows, a poll misses at most what a process adds in its last {@link #POLL_MS} ms.
 */
final class ChildProcessRun {
  /** How often /proc is read while the child runs. */
  static final long POLL_MS = 20;

  private ChildProcessRun() {}

  /**
   * Runs {@code command}, output (stdout and stderr) to {@code log}, and waits up to {@code
   * timeoutMinutes}.
   *
   * @param command the command line
   * @param log where its output goes
   * @param timeoutMinutes after this the child (and its descendants) are killed and this throws
   * @return what was measured
   * @throws IOException when the command cannot be started
   * @throws InterruptedException when interrupted while waiting
   */
  static BenchFigures.ProcessRun run(List<String> command, Path log, long timeoutMinutes)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process proc =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = t0 + TimeUnit.MINUTES.toNanos(timeoutMinutes);
    long peak = 0;
    while (!proc.waitFor(POLL_MS, TimeUnit.MILLISECONDS)) {
      peak = Math.max(peak, treePeak(proc.toHandle()));
      if (System.nanoTime() > deadline) {
        proc.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        proc.destroyForcibly();
        throw PortcheckException.usage(
            "'"
                + String.join(" ", command)
                + "' did not finish within "
                + timeoutMinutes
                + " min.");
      }
    }
    double wallMs = (System.nanoTime() - t0) / 1e6;
    return new BenchFigures.ProcessRun(
        String.join(" ", command), wallMs, peak / MIB, proc.exitValue());
  }

  private static final double MIB = 1024.0 * 1024.0;

  /**
   * The largest VmHWM among a process and its descendants now, in bytes (0 if none is readable).
   */
  static long treePeak(ProcessHandle root) {
    long peak = vmHwm(root.pid());
    for (ProcessHandle d : (Iterable<ProcessHandle>) root.descendants()::iterator) {
      peak = Math.max(peak, vmHwm(d.pid()));
    }
    return peak;
  }

  private static long vmHwm(long pid) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    try {
      return parseVmHwm(Files.readString(status));
    } catch (NoSuchFileException e) {
      return 0; // exited between listing and reading
    } catch (IOException | RuntimeException e) {
      return 0; // not Linux, or gone: no figure rather than a wrong one
    }
  }

  /**
   * The {@code VmHWM:} field of a {@code /proc/PID/status} text in bytes, or 0 when it has none (a
   * zombie, a kernel thread).
   *
   * @param status the file's text
   * @return bytes
   */
  static long parseVmHwm(String status) {
    for (String line : status.split("\n", -1)) {
      if (line.startsWith("VmHWM:")) {
        String[] f = line.substring("VmHWM:".length()).trim().split("\\s+");
        long v = Long.parseLong(f[0]);
        if (f.length < 2 || !f[1].equals("kB")) {
          throw new IllegalArgumentException("VmHWM not in kB: " + line);
        }
        return v * 1024;
      }
    }
    return 0;
  }
}
