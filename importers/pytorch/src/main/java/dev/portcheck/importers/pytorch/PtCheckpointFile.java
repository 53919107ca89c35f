package dev.portcheck.importers.pytorch;

import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.pytorch.archive.PtArchive;
import dev.portcheck.importers.pytorch.pickle.PtPickled;
import dev.portcheck.importers.pytorch.pickle.PtStorages;
import dev.portcheck.importers.pytorch.pickle.PtUnpickler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The unpickled top object of a {@code torch.save} file plus access to its storages, for both the
 * zip format (torch 1.6+) and the legacy format (a run of pickles followed by raw storages).
 */
record PtCheckpointFile(Object root, PtStorages storages, String format) {

  static PtCheckpointFile readZip(PtArchive archive) {
    Path file = archive.file();
    String entry = archive.root() + "data.pkl";
    byte[] pkl = archive.read("data.pkl");
    Object root =
        PtUnpickler.load(file, entry, pkl, pid -> PtUnpickler.parseStoragePid(file, entry, pid));
    PtStorages storages =
        new PtStorages(
            file,
            st -> {
              String rel = "data/" + st.key();
              if (!archive.has(rel)) {
                throw PortcheckException.corrupt(
                    file, "storage '" + st.key() + "' has no entry " + archive.root() + rel, null);
              }
              return ByteBuffer.wrap(archive.read(rel));
            },
            new PtStorages.Ranged() {
              @Override
              public long bytes(PtPickled.Storage st) {
                return archive.declaredSize("data/" + st.key());
              }

              @Override
              public void readFloats(PtPickled.Storage st, long offset, float[] dst) {
                archive.readFloats("data/" + st.key(), offset, dst);
              }
            });
    return new PtCheckpointFile(root, storages, "zip");
  }

  /** Whether the file starts like a legacy (pre-1.6) {@code torch.save} file. */
  static boolean looksLegacy(byte[] head) {
    // \x80\x02 \x8a\x0a <10 bytes of the magic number little-endian>
    return head.length >= 14
        && (head[0] & 0xff) == 0x80
        && (head[2] & 0xff) == 0x8a
        && head[3] == 0x0a
        && (head[4] & 0xff) == 0x6c
        && (head[5] & 0xff) == 0xfc
        && (head[6] & 0xff) == 0x9c
        && (head[7] & 0xff) == 0x46;
  }

  static PtCheckpointFile readLegacy(Path file) {
    byte[] all;
    try {
      if (Files.size(file) > PtArchive.DEFAULT_MAX_ENTRY) {
        throw PortcheckException.notRunnable(file, "legacy checkpoints over 2 GiB are not read");
      }
      all = Files.readAllBytes(file);
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
    if (!looksLegacy(all)) {
      throw PortcheckException.corrupt(file, "not a torch.save legacy checkpoint", null);
    }
    PtUnpickler magic = new PtUnpickler(file, "legacy header", all, 0, null);
    magic.load();
    PtUnpickler proto =
        new PtUnpickler(file, "legacy protocol version", all, magic.position(), null);
    Object version = proto.load();
    if (!Long.valueOf(1001).equals(version)) {
      throw PortcheckException.corrupt(
          file, "legacy checkpoint protocol " + version + " (expected 1001)", null);
    }
    PtUnpickler sys = new PtUnpickler(file, "legacy sys_info", all, proto.position(), null);
    sys.load();
    Map<String, PtPickled.Storage> seen = new HashMap<>();
    PtUnpickler main =
        new PtUnpickler(
            file,
            "legacy main pickle",
            all,
            sys.position(),
            pid -> {
              PtPickled.Storage st = PtUnpickler.parseStoragePid(file, "legacy main pickle", pid);
              seen.putIfAbsent(st.key(), st);
              return seen.get(st.key());
            });
    Object root = main.load();
    PtUnpickler keysP = new PtUnpickler(file, "legacy storage keys", all, main.position(), null);
    Object keys = keysP.load();
    if (!(keys instanceof List<?> keyList)) {
      throw PortcheckException.corrupt(file, "legacy storage key list missing", null);
    }
    // Storages follow in key-list order, each as an int64 element count and the raw elements.
    Map<String, ByteBuffer> raw = new HashMap<>();
    int p = keysP.position();
    for (Object k : keyList) {
      String key = k instanceof String s ? s : PtPickled.brief(k);
      PtPickled.Storage st = seen.get(key);
      if (p + 8 > all.length) {
        throw PortcheckException.truncated(file, "storage '" + key + "' header missing");
      }
      long numel = ByteBuffer.wrap(all, p, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      p += 8;
      int es = st == null ? 4 : st.dtype().byteSize();
      long bytes = numel * es;
      if (numel < 0 || bytes > all.length - (long) p) {
        throw PortcheckException.truncated(
            file, "storage '" + key + "' declares " + numel + " elements past the end of file");
      }
      raw.put(key, ByteBuffer.wrap(all, p, (int) bytes).slice());
      p += (int) bytes;
    }
    PtStorages storages =
        new PtStorages(
            file,
            st -> {
              ByteBuffer b = raw.get(st.key());
              if (b == null) {
                throw PortcheckException.corrupt(
                    file, "storage '" + st.key() + "' is not in the file", null);
              }
              return b;
            });
    return new PtCheckpointFile(root, storages, "legacy");
  }
}
