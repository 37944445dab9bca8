package dev.ibq.training.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM into a request that a training loop reads between two steps, so that an
 * interrupted run writes a checkpoint and exits cleanly instead of tearing down libtorch in the middle of a
 * backward pass.
 *
 * <p>Why: the JVM's default handler runs the shutdown hooks at once, on another thread; DJL's hook frees the
 * native tensors while the training thread is still inside libtorch, which crashed the JVM (SIGSEGV in the
 * backward pass; the two hs_err files of session 2 show that stack). With this handler installed the first
 * signal only sets a flag; the loop finishes its step, checkpoints and returns. A second signal of either kind
 * halts the JVM at once without running hooks (exit code 128 + signal number), for a user who will not wait.
 *
 * <p>Exit codes follow the shell's convention: 130 after SIGINT, 143 after SIGTERM.
 */
public final class StopRequest implements AutoCloseable {

  private final AtomicReference<String> signal = new AtomicReference<>();
  private final List<Signal> installed = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();

  private StopRequest() {}

  /** Installs the handlers for INT and TERM; {@link #close()} puts the previous handlers back. */
  public static StopRequest install() {
    StopRequest request = new StopRequest();
    for (String name : List.of("INT", "TERM")) {
      Signal s = new Signal(name);
      try {
        SignalHandler old = Signal.handle(s, request::onSignal);
        request.installed.add(s);
        request.previous.add(old);
        if (old == SignalHandler.SIG_IGN) {
          // The JVM installs no handler for a signal that was ignored when the process started (a job started with
          // & from a script, nohup): it stays ignored, so say what still works.
          System.err.println("[ibq] SIG" + name + " is ignored by this process (it was started in the background or under"
              + " nohup), so Ctrl-C cannot stop it; SIGTERM (kill " + ProcessHandle.current().pid() + ") stops it after the"
              + " current step with a checkpoint.");
        }
      } catch (IllegalArgumentException e) {
        // The signal is reserved here (e.g. -Xrs): leave the JVM's own behaviour.
      }
    }
    return request;
  }

  /** A request that no signal can set (tests, library use); {@link #requestStop} still works. */
  public static StopRequest none() {
    return new StopRequest();
  }

  private void onSignal(Signal s) {
    if (!signal.compareAndSet(null, s.getName())) {
      System.err.println("\n[ibq] second SIG" + s.getName() + ": stopping NOW, without a checkpoint.");
      Runtime.getRuntime().halt(128 + s.getNumber());
    }
    System.err.println("\n[ibq] SIG" + s.getName() + ": stopping after the current step and writing a checkpoint"
        + " (send it again to stop at once, without one).");
  }

  /** Asks the loop to stop as a signal would (e.g. from a test, or a time budget). */
  public void requestStop(String reason) {
    signal.compareAndSet(null, reason);
  }

  /** Whether a stop was requested. */
  public boolean requested() {
    return signal.get() != null;
  }

  /** The signal name (INT, TERM) or the reason given to {@link #requestStop}; null when none. */
  public String reason() {
    return signal.get();
  }

  /** 130 after SIGINT, 143 after SIGTERM, 1 for any other reason, 0 when no stop was requested. */
  public int exitCode() {
    String s = signal.get();
    if (s == null) {
      return 0;
    }
    return switch (s) {
      case "INT" -> 130;
      case "TERM" -> 143;
      default -> 1;
    };
  }

  @Override
  public void close() {
    for (int i = 0; i < installed.size(); i++) {
      Signal.handle(installed.get(i), previous.get(i));
    }
    installed.clear();
    previous.clear();
  }
}
