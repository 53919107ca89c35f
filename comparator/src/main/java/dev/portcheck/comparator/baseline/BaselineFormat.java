package dev.portcheck.comparator.baseline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcheck.comparator.Checksum;
import dev.portcheck.comparator.Sketch;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.WeightLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The baseline file: JSON with {@code "format": "portcheck-baseline"} and {@code "formatVersion"}.
 * Reading checks both before anything else, so that an old, newer or foreign file (a {@code compare
 * --json} report, a label list) gets one sentence saying what it is and what to do, never a parse
 * error from deep inside. Non-finite numbers are written as the strings {@code "NaN"}, {@code
 * "Infinity"}, {@code "-Infinity"}.
 */
public final class BaselineFormat {
  /** The {@code format} field's value. */
  public static final String FORMAT = "portcheck-baseline";

  /** The format version this portcheck writes and reads. */
  public static final int VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private BaselineFormat() {}

  /** The baseline as JSON text. */
  public static String write(Baseline b) {
    ObjectNode root = F.objectNode();
    root.put("format", FORMAT);
    root.put("formatVersion", b.formatVersion());
    root.put("portcheckVersion", b.portcheckVersion());
    root.put("created", b.created());
    ObjectNode engines = root.putObject("engines");
    b.engines().forEach(engines::put);
    ObjectNode model = root.putObject("model");
    model.put("path", b.model().path());
    model.put("framework", b.model().framework().id());
    ObjectNode md = model.putObject("metadata");
    b.model().metadata().forEach(md::put);
    model.set("inputs", tensorInfos(b.model().inputs()));
    model.set("outputs", tensorInfos(b.model().outputs()));
    ArrayNode probes = root.putArray("probes");
    for (Baseline.ProbeRecord p : b.probes()) {
      ObjectNode o = probes.addObject();
      o.put("label", p.label());
      ArrayNode ins = o.putArray("inputs");
      for (Baseline.ProbeInput in : p.inputs()) {
        ObjectNode i = ins.addObject();
        i.put("position", in.position());
        i.put("name", in.name());
        i.set("shape", longs(in.shape()));
        i.put("layout", in.layout().name());
        i.put("dtype", in.dtype().name());
        i.put("spec", in.spec());
        if (in.npy() != null) {
          i.put("npyBase64", Base64.getEncoder().encodeToString(in.npy()));
        }
      }
    }
    ArrayNode layers = root.putArray("layers");
    for (Baseline.LayerRecord l : b.layers()) {
      ObjectNode o = layers.addObject();
      o.put("name", l.name());
      o.put("opType", l.opType());
      o.put("kind", l.kind().name());
      o.put("layout", l.layout().name());
      o.put("tappable", l.tappable());
      if (l.parent() != null) {
        o.put("parent", l.parent());
      }
      o.set("inputs", strings(l.inputs()));
      o.set("outputs", strings(l.outputs()));
      ObjectNode attrs = o.putObject("attributes");
      l.attributes().forEach((k, v) -> attrs.set(k, attribute(v)));
      ObjectNode params = o.putObject("parameters");
      l.parameters().forEach(params::put);
      ArrayNode acts = o.putArray("activations");
      l.activations().forEach(s -> acts.add(sketch(s)));
    }
    ObjectNode params = root.putObject("parameters");
    for (Baseline.ParameterRecord p : b.parameters().values()) {
      ObjectNode o = params.putObject(p.name());
      o.put("dtype", p.dtype().name());
      o.set("shape", longs(p.shape()));
      o.put("layout", p.layout().name());
      Checksum c = p.checksum();
      o.set("canonicalShape", longs(c.shape()));
      o.put("sha256", c.sha256());
      o.set("sum", num(c.sum()));
      o.set("absSum", num(c.absSum()));
      o.set("l2", num(c.l2()));
      o.set("projections", nums(c.projections()));
      if (!c.hwSwappedProjections().isEmpty()) {
        o.set("hwSwappedProjections", nums(c.hwSwappedProjections()));
      }
    }
    ArrayNode outs = root.putArray("outputs");
    for (Baseline.OutputRecord r : b.outputs()) {
      ObjectNode o = outs.addObject();
      o.put("name", r.name());
      o.put("probe", r.probe());
      o.set("summary", sketch(r.summary()));
      if (r.values() != null) {
        ArrayNode v = o.putArray("values");
        for (float x : r.values()) {
          v.add(Float.isFinite(x) ? F.numberNode(x) : F.textNode(Float.toString(x)));
        }
      }
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }

  /** Writes the baseline to {@code file}. */
  public static void write(Baseline b, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, write(b) + "\n");
    } catch (IOException e) {
      throw PortcheckException.usage("cannot write " + file + ": " + e.getMessage() + ".");
    }
  }

  /**
   * Reads a baseline file.
   *
   * @throws PortcheckException NOT_FOUND for a missing file, USAGE for a file that is not a
   *     baseline this portcheck reads (with what it is and what to do)
   */
  public static Baseline read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw PortcheckException.notFound(file);
    } catch (JsonProcessingException e) {
      throw PortcheckException.usage(
          file
              + " is not a portcheck baseline (not JSON: "
              + e.getOriginalMessage()
              + "); create one with 'portcheck snapshot MODEL -o "
              + freshName(file)
              + "' and pass that to --baseline.");
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
    if (root == null || !root.isObject()) {
      throw foreign(file, "it is not a JSON object");
    }
    if (!FORMAT.equals(root.path("format").asText(null))) {
      if (root.has("schemaVersion") && root.has("verdict")) {
        throw foreign(
            file,
            "it is a 'portcheck compare --json' report, which holds differences, not a model's"
                + " recorded behaviour");
      }
      throw foreign(file, "it has no \"format\": \"" + FORMAT + "\" field");
    }
    JsonNode v = root.path("formatVersion");
    if (!v.canConvertToInt()) {
      throw PortcheckException.usage(
          file
              + " is a portcheck baseline without a valid formatVersion; re-create it with"
              + " 'portcheck snapshot'.");
    }
    int version = v.asInt();
    if (version > VERSION) {
      throw PortcheckException.usage(
          file
              + " is a baseline of format version "
              + version
              + ", written by a newer portcheck ("
              + root.path("portcheckVersion").asText("unknown")
              + "); this portcheck reads version "
              + VERSION
              + ". Upgrade portcheck, or re-create the baseline with this one.");
    }
    if (version < VERSION) {
      throw PortcheckException.usage(
          file
              + " is a baseline of format version "
              + version
              + ", which this portcheck no longer reads (it reads version "
              + VERSION
              + "); re-create it with 'portcheck snapshot' from the model it was made from.");
    }
    try {
      return parse(root);
    } catch (RuntimeException e) {
      if (e instanceof PortcheckException) {
        throw e;
      }
      throw PortcheckException.usage(
          file
              + " is a damaged baseline ("
              + e.getMessage()
              + "); re-create it with 'portcheck snapshot'.");
    }
  }

  private static PortcheckException foreign(Path file, String what) {
    return PortcheckException.usage(
        file
            + " is not a portcheck baseline: "
            + what
            + ". Create a baseline with 'portcheck snapshot MODEL -o "
            + freshName(file)
            + "' and pass that to --baseline.");
  }

  /**
   * A baseline name beside {@code file} that does not exist yet: the suggestion must never be the
   * file given, which is the user's label list or report, and which snapshot would overwrite.
   */
  private static Path freshName(Path file) {
    Path name = file.getFileName();
    String stem =
        name == null ? "model" : name.toString().replaceFirst("(\\.baseline)?(\\.[^.]*)?$", "");
    Path candidate = file.resolveSibling(stem + ".baseline.json");
    for (int i = 2; Files.exists(candidate); i++) {
      candidate = file.resolveSibling(stem + ".baseline-" + i + ".json");
    }
    return candidate;
  }

  private static Baseline parse(JsonNode root) {
    Map<String, String> engines = new LinkedHashMap<>();
    root.path("engines")
        .fields()
        .forEachRemaining(e -> engines.put(e.getKey(), e.getValue().asText()));
    JsonNode m = required(root, "model");
    Map<String, String> md = new LinkedHashMap<>();
    m.path("metadata").fields().forEachRemaining(e -> md.put(e.getKey(), e.getValue().asText()));
    Baseline.ModelRecord model =
        new Baseline.ModelRecord(
            required(m, "path").asText(),
            Framework.valueOf(required(m, "framework").asText().toUpperCase(Locale.ROOT)),
            md,
            tensorInfos(m.path("inputs")),
            tensorInfos(m.path("outputs")));
    List<Baseline.ProbeRecord> probes = new ArrayList<>();
    for (JsonNode p : required(root, "probes")) {
      List<Baseline.ProbeInput> ins = new ArrayList<>();
      for (JsonNode i : p.path("inputs")) {
        ins.add(
            new Baseline.ProbeInput(
                i.path("position").asInt(),
                i.path("name").asText(),
                longs(i.path("shape")),
                Layout.valueOf(i.path("layout").asText("UNSPECIFIED")),
                DType.valueOf(i.path("dtype").asText("FLOAT32")),
                required(i, "spec").asText(),
                i.has("npyBase64")
                    ? Base64.getDecoder().decode(i.path("npyBase64").asText())
                    : null));
      }
      probes.add(new Baseline.ProbeRecord(required(p, "label").asText(), ins));
    }
    List<Baseline.LayerRecord> layers = new ArrayList<>();
    for (JsonNode l : required(root, "layers")) {
      Map<String, AttributeValue> attrs = new LinkedHashMap<>();
      l.path("attributes")
          .fields()
          .forEachRemaining(e -> attrs.put(e.getKey(), attribute(e.getValue())));
      Map<String, String> params = new LinkedHashMap<>();
      l.path("parameters")
          .fields()
          .forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
      List<Sketch> acts = new ArrayList<>();
      l.path("activations").forEach(a -> acts.add(sketch(a)));
      layers.add(
          new Baseline.LayerRecord(
              required(l, "name").asText(),
              required(l, "opType").asText(),
              OpKind.valueOf(required(l, "kind").asText()),
              strings(l.path("inputs")),
              strings(l.path("outputs")),
              attrs,
              params,
              Layout.valueOf(l.path("layout").asText("UNSPECIFIED")),
              l.hasNonNull("parent") ? l.path("parent").asText() : null,
              l.path("tappable").asBoolean(false),
              acts));
    }
    Map<String, Baseline.ParameterRecord> parameters = new LinkedHashMap<>();
    root.path("parameters")
        .fields()
        .forEachRemaining(
            e -> {
              JsonNode o = e.getValue();
              Checksum c =
                  new Checksum(
                      longs(o.path("canonicalShape")),
                      required(o, "sha256").asText(),
                      num(o.path("sum")),
                      num(o.path("absSum")),
                      num(o.path("l2")),
                      nums(o.path("projections")),
                      nums(o.path("hwSwappedProjections")));
              parameters.put(
                  e.getKey(),
                  new Baseline.ParameterRecord(
                      e.getKey(),
                      DType.valueOf(o.path("dtype").asText("FLOAT32")),
                      longs(o.path("shape")),
                      WeightLayout.valueOf(o.path("layout").asText("OTHER")),
                      c));
            });
    List<Baseline.OutputRecord> outputs = new ArrayList<>();
    for (JsonNode o : root.path("outputs")) {
      float[] values = null;
      if (o.has("values")) {
        JsonNode v = o.path("values");
        values = new float[v.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) num(v.get(i));
        }
      }
      outputs.add(
          new Baseline.OutputRecord(
              o.path("name").asText(),
              o.path("probe").asText(),
              sketch(o.path("summary")),
              values));
    }
    return new Baseline(
        root.path("formatVersion").asInt(),
        root.path("portcheckVersion").asText(""),
        engines,
        root.path("created").asText(""),
        model,
        probes,
        layers,
        parameters,
        outputs);
  }

  private static JsonNode required(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing '" + field + "'");
    }
    return v;
  }

  private static ArrayNode tensorInfos(List<TensorInfo> infos) {
    ArrayNode a = F.arrayNode();
    for (TensorInfo t : infos) {
      ObjectNode o = a.addObject();
      o.put("name", t.name());
      o.put("dtype", t.dtype().name());
      if (t.shape() != null) {
        o.set("shape", longs(t.shape()));
      }
      o.put("layout", t.layout().name());
    }
    return a;
  }

  private static List<TensorInfo> tensorInfos(JsonNode a) {
    List<TensorInfo> out = new ArrayList<>();
    for (JsonNode o : a) {
      out.add(
          new TensorInfo(
              o.path("name").asText(),
              DType.valueOf(o.path("dtype").asText("FLOAT32")),
              o.has("shape") ? longs(o.path("shape")) : null,
              Layout.valueOf(o.path("layout").asText("UNSPECIFIED"))));
    }
    return out;
  }

  private static ObjectNode attribute(AttributeValue v) {
    ObjectNode o = F.objectNode();
    if (v instanceof AttributeValue.Float f) {
      o.put("type", "float");
      o.set("value", num(f.value()));
    } else if (v instanceof AttributeValue.Int i) {
      o.put("type", "int");
      o.put("value", i.value());
    } else if (v instanceof AttributeValue.Str s) {
      o.put("type", "string");
      o.put("value", s.value());
    } else if (v instanceof AttributeValue.Ints is) {
      o.put("type", "ints");
      o.set("value", longs(is.values()));
    } else if (v instanceof AttributeValue.Floats fs) {
      o.put("type", "floats");
      o.set("value", nums(fs.values()));
    } else if (v instanceof AttributeValue.Bool b) {
      o.put("type", "bool");
      o.put("value", b.value());
    }
    return o;
  }

  private static AttributeValue attribute(JsonNode o) {
    JsonNode v = o.path("value");
    switch (o.path("type").asText()) {
      case "float":
        return new AttributeValue.Float(num(v));
      case "int":
        return new AttributeValue.Int(v.asLong());
      case "ints":
        return new AttributeValue.Ints(longs(v));
      case "floats":
        return new AttributeValue.Floats(nums(v));
      case "bool":
        return new AttributeValue.Bool(v.asBoolean());
      default:
        return new AttributeValue.Str(v.asText());
    }
  }

  private static ObjectNode sketch(Sketch s) {
    ObjectNode o = F.objectNode();
    o.set("shape", longs(s.shape()));
    o.put("count", s.count());
    o.set("mean", num(s.mean()));
    o.set("std", num(s.std()));
    o.set("min", num(s.min()));
    o.set("max", num(s.max()));
    o.put("nanCount", s.nanCount());
    o.put("infCount", s.infCount());
    o.set("quantiles", nums(s.quantiles()));
    return o;
  }

  private static Sketch sketch(JsonNode o) {
    return new Sketch(
        longs(o.path("shape")),
        o.path("count").asLong(),
        num(o.path("mean")),
        num(o.path("std")),
        num(o.path("min")),
        num(o.path("max")),
        o.path("nanCount").asLong(),
        o.path("infCount").asLong(),
        nums(o.path("quantiles")));
  }

  private static JsonNode num(double v) {
    return Double.isFinite(v) ? F.numberNode(v) : F.textNode(Double.toString(v));
  }

  private static double num(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      return Double.NaN;
    }
    return n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble();
  }

  private static ArrayNode nums(List<Double> v) {
    ArrayNode a = F.arrayNode();
    v.forEach(x -> a.add(num(x)));
    return a;
  }

  private static List<Double> nums(JsonNode a) {
    List<Double> out = new ArrayList<>();
    a.forEach(x -> out.add(num(x)));
    return out;
  }

  private static ArrayNode longs(List<Long> v) {
    ArrayNode a = F.arrayNode();
    v.forEach(a::add);
    return a;
  }

  private static List<Long> longs(JsonNode a) {
    List<Long> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asLong()));
    return out;
  }

  private static ArrayNode strings(List<String> v) {
    ArrayNode a = F.arrayNode();
    v.forEach(a::add);
    return a;
  }

  private static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return out;
  }
}
