package dev.portcheck.cli;

import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.ModelView;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Several open models that close together, the last opened first, even if one close fails. */
public final class OpenModels implements AutoCloseable {
  private final List<ModelView> views;

  private OpenModels(List<ModelView> views) {
    this.views = views;
  }

  /**
   * Opens every path after checking they fit in memory ({@code limit} bytes, or null for what the
   * machine has available), then checks that the heap can hold the copies of their largest
   * parameter that comparing it takes; if one fails, the ones already open are closed before
   * rethrowing.
   *
   * @param paths the models, in order
   * @param limit bytes, or null
   * @return the open models
   */
  public static OpenModels open(List<Path> paths, Long limit) {
    MemoryBudget.check(paths, limit);
    OpenModels open = new OpenModels(new ArrayList<>());
    try {
      for (Path p : paths) {
        open.views.add(Importers.open(p));
      }
      MemoryBudget.checkParameters(open.views, paths);
    } catch (RuntimeException e) {
      open.closeAll(e);
      throw e;
    }
    return open;
  }

  /**
   * The open models, in the order of the paths.
   *
   * @return an unmodifiable list
   */
  public List<ModelView> views() {
    return List.copyOf(views);
  }

  @Override
  public void close() {
    RuntimeException first = closeAll(null);
    if (first != null) {
      throw first;
    }
  }

  private RuntimeException closeAll(RuntimeException pending) {
    RuntimeException first = null;
    for (int i = views.size() - 1; i >= 0; i--) {
      try {
        views.get(i).close();
      } catch (RuntimeException e) {
        if (pending != null) {
          pending.addSuppressed(e);
        } else if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    views.clear();
    return first;
  }
}
