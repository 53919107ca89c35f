package dev.portcheck.comparator.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcheck.comparator.report.ActivationFinding;
import dev.portcheck.comparator.report.AttributeFinding;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.Finding;
import dev.portcheck.comparator.report.FoldedLayer;
import dev.portcheck.comparator.report.LayerComparison;
import dev.portcheck.comparator.report.LayerMetrics;
import dev.portcheck.comparator.report.LayoutConversion;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ModelStats;
import dev.portcheck.comparator.report.OutputComparison;
import dev.portcheck.comparator.report.OutputFinding;
import dev.portcheck.comparator.report.PairMetrics;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.comparator.report.WeightFinding;
import dev.portcheck.comparator.report.WeightMismatch;
import dev.portcheck.importers.api.AttributeValue;
import java.util.List;
import java.util.Map;

/**
 * The machine-readable report, {@code schemaVersion: 1}. Top-level properties: {@code
 * schemaVersion}, {@code verdict} ("MATCH" | "DIVERGED"), {@code models} ([{@code id}, {@code
 * path}, {@code framework}]), {@code probes}, {@code firstDivergence} (null or {@code names},
 * {@code opType}, {@code modelId}, {@code cause}, {@code explanation}, {@code failureText}, {@code
 * metrics}, and the finding's {@code kind} and values), {@code attributeMismatches} ([{@code
 * names}, {@code attribute}, {@code values}, {@code note}]), {@code weightMismatches}, {@code
 * layers} ([{@code names}, {@code opType}, {@code kind}, {@code status}, {@code alignedBy}, {@code
 * metrics}, {@code note}]), {@code outputs}, {@code folds}, {@code notes} (strings) and {@code
 * labels} (null unless label files were given).
 *
 * <p>Numbers stay valid JSON: a NaN or infinite value is written as the string {@code "NaN"},
 * {@code "Infinity"} or {@code "-Infinity"}; element counts of NaN/Inf are in {@code nanCount},
 * {@code infCount} and {@code nanMismatches}.
 */
public final class JsonRenderer {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Schema version written as {@code schemaVersion}. */
  public static final int SCHEMA_VERSION = 1;

  /** The report as a JSON tree. */
  public JsonNode toTree(ComparisonReport r) {
    ObjectNode root = F.objectNode();
    root.put("schemaVersion", SCHEMA_VERSION);
    root.put("verdict", r.verdict().name());
    ArrayNode models = root.putArray("models");
    for (ModelRef m : r.models()) {
      models
          .addObject()
          .put("id", m.id())
          .put("path", m.path())
          .put("framework", m.framework().id());
    }
    ArrayNode probes = root.putArray("probes");
    for (ProbeReport p : r.probes()) {
      ObjectNode pn = probes.addObject().put("label", p.label());
      ArrayNode inputs = pn.putArray("inputs");
      for (ProbeReport.Input in : p.inputs()) {
        ObjectNode i = inputs.addObject();
        i.put("position", in.position());
        i.set("names", strings(in.names()));
        ArrayNode shape = i.putArray("shape");
        in.shape().forEach(shape::add);
        i.put("layout", in.layout()).put("dtype", in.dtype()).put("spec", in.spec());
      }
      ArrayNode conv = pn.putArray("conversions");
      for (LayoutConversion c : p.conversions()) {
        ObjectNode cn = conv.addObject();
        cn.put("modelId", c.modelId())
            .put("input", c.input())
            .put("from", c.from())
            .put("to", c.to());
        ArrayNode perm = cn.putArray("permutation");
        c.permutation().forEach(perm::add);
      }
    }
    Divergence d = r.firstDivergence();
    if (d == null) {
      root.putNull("firstDivergence");
    } else {
      ObjectNode dn = root.putObject("firstDivergence");
      dn.set("names", strings(d.names()));
      dn.put("opType", d.opType());
      dn.put("modelId", d.modelId());
      dn.put("cause", d.cause().name());
      FindingText words = new FindingText(r.models());
      dn.put("explanation", words.sentence(d.finding()));
      dn.put("failureText", words.failureText(d.finding()));
      finding(dn, d.finding());
      dn.set("metrics", metrics(d.metrics()));
    }
    ArrayNode attrs = root.putArray("attributeMismatches");
    for (AttributeMismatch m : r.attributeMismatches()) {
      ObjectNode an = attrs.addObject();
      an.set("names", strings(m.names()));
      an.put("attribute", m.attribute());
      ObjectNode values = an.putObject("values");
      m.values().forEach((k, v) -> values.set(k, value(v)));
      an.put("note", FindingText.attributeNote(m));
    }
    ArrayNode weights = root.putArray("weightMismatches");
    for (WeightMismatch w : r.weightMismatches()) {
      ObjectNode wn = weights.addObject();
      wn.set("names", strings(w.names()));
      wn.put("role", w.role());
      wn.set("parameters", strings(w.parameters()));
      wn.put("modelId", w.modelId());
      wn.set("maxAbsDiff", number(w.maxAbsDiff()));
      wn.put("kind", w.kind().name());
      wn.put("detail", FindingText.weightDetail(w));
      permutation(wn, w);
    }
    ArrayNode layers = root.putArray("layers");
    for (LayerComparison l : r.layers()) {
      ObjectNode ln = layers.addObject();
      ln.set("names", strings(l.names()));
      ln.put("opType", l.opType());
      ln.put("kind", l.kind().name());
      ln.put("status", l.status().name());
      ln.put("alignedBy", l.alignedBy() == null ? null : l.alignedBy().name());
      ln.set("metrics", metrics(l.metrics()));
      ln.put("note", l.note());
    }
    ArrayNode outputs = root.putArray("outputs");
    for (OutputComparison o : r.outputs()) {
      ObjectNode on = outputs.addObject();
      on.put("modelId", o.modelId()).put("name", o.name()).put("referenceName", o.referenceName());
      on.set("maxAbsDiff", number(o.metrics().maxAbsDiff()));
      on.set("cosine", cosine(o.metrics()));
      on.put("withinTolerance", o.metrics().withinTolerance());
      significance(on, o.metrics());
      on.put("comparedAs", o.metrics().comparedAs());
    }
    ArrayNode folds = root.putArray("folds");
    for (FoldedLayer f : r.folds()) {
      ObjectNode fn = folds.addObject();
      fn.put("bnModelId", f.bnModelId()).put("batchNorm", f.batchNorm()).put("conv", f.conv());
      fn.put("foldedModelId", f.foldedModelId()).put("foldedConv", f.foldedConv());
      fn.set("declaredEpsilon", number(f.declaredEpsilon()));
      // A fold seen in a baseline's graph only was not proven from weights: no epsilon inferred.
      fn.set(
          "inferredEpsilon",
          Double.isNaN(f.inferredEpsilon()) ? F.nullNode() : number(f.inferredEpsilon()));
    }
    ArrayNode notes = root.putArray("notes");
    r.notes().forEach(notes::add);
    root.set("labels", r.labels() == null ? F.nullNode() : MAPPER.valueToTree(r.labels().toMap()));
    return root;
  }

  /**
   * The finding's kind and values beside its sentence: {@code kind} ({@code ATTRIBUTE}, a {@link
   * dev.portcheck.comparator.report.WeightKind} such as {@code HW_SLIP}, {@code ACTIVATION} or
   * {@code OUTPUT}) and, per kind, {@code attribute}/{@code expected}/{@code actual}/{@code
   * inferred}, {@code role}/{@code parameters}, or the output's extra layers.
   */
  private static void finding(ObjectNode n, Finding f) {
    if (f instanceof AttributeFinding a) {
      n.put("kind", "ATTRIBUTE");
      n.put("attribute", a.attribute());
      n.set("expected", value(a.expected()));
      n.set("actual", value(a.actual()));
      n.put("inferred", a.inferred());
    } else if (f instanceof WeightFinding w) {
      n.put("kind", w.kind().name());
      n.put("role", w.mismatch().role());
      n.set("parameters", strings(w.mismatch().parameters()));
      n.set("maxAbsDiff", number(w.mismatch().maxAbsDiff()));
      permutation(n, w.mismatch());
    } else if (f instanceof ActivationFinding a) {
      n.put("kind", "ACTIVATION");
      n.set("maxAbsDiff", number(a.metrics().maxAbsDiff()));
      n.putObject("tolerance").put("atol", a.tolerance().atol()).put("rtol", a.tolerance().rtol());
    } else if (f instanceof OutputFinding o) {
      n.put("kind", "OUTPUT");
      n.put("output", o.name());
      n.set("maxAbsDiff", number(o.metrics().maxAbsDiff()));
      n.putObject("tolerance").put("atol", o.tolerance().atol()).put("rtol", o.tolerance().rtol());
      n.set("onlyInReference", layerRefs(o.onlyInReference()));
      n.set("onlyInModel", layerRefs(o.onlyInModel()));
    }
  }

  private static ArrayNode layerRefs(List<OutputFinding.LayerRef> refs) {
    ArrayNode a = F.arrayNode();
    refs.forEach(l -> a.addObject().put("name", l.name()).put("opType", l.opType()));
    return a;
  }

  /** The report as indented JSON text. */
  public String render(ComparisonReport r) {
    try {
      return MAPPER.writeValueAsString(toTree(r));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }

  private static ObjectNode strings(Map<String, String> m) {
    ObjectNode n = F.objectNode();
    m.forEach(n::put);
    return n;
  }

  /**
   * The cosine of an element-wise comparison; null for summaries and statistics, which have none.
   */
  private static JsonNode cosine(PairMetrics p) {
    return p.elementwise() ? number(p.cosine()) : F.nullNode();
  }

  /** A finite number as a number; NaN and infinities as strings. */
  static JsonNode number(double v) {
    if (Double.isNaN(v)) {
      return F.textNode("NaN");
    }
    if (Double.isInfinite(v)) {
      return F.textNode(v > 0 ? "Infinity" : "-Infinity");
    }
    return F.numberNode(v);
  }

  private static JsonNode value(AttributeValue v) {
    if (v instanceof AttributeValue.Float f) {
      return number(f.value());
    }
    if (v instanceof AttributeValue.Int i) {
      return F.numberNode(i.value());
    }
    if (v instanceof AttributeValue.Bool b) {
      return F.booleanNode(b.value());
    }
    if (v instanceof AttributeValue.Ints is) {
      ArrayNode a = F.arrayNode();
      is.values().forEach(a::add);
      return a;
    }
    if (v instanceof AttributeValue.Floats fs) {
      ArrayNode a = F.arrayNode();
      fs.values().forEach(x -> a.add(number(x)));
      return a;
    }
    return F.textNode(v.render());
  }

  private static JsonNode metrics(LayerMetrics m) {
    if (m == null) {
      return F.nullNode();
    }
    ObjectNode n = F.objectNode();
    ObjectNode stats = n.putObject("stats");
    for (Map.Entry<String, ModelStats> e : m.stats().entrySet()) {
      ModelStats s = e.getValue();
      ObjectNode sn = stats.putObject(e.getKey());
      ArrayNode shape = sn.putArray("shape");
      s.shape().forEach(shape::add);
      sn.put("count", s.count());
      sn.set("mean", number(s.mean()));
      sn.set("std", number(s.std()));
      sn.set("min", number(s.min()));
      sn.set("max", number(s.max()));
      sn.put("nanCount", s.nanCount());
      sn.put("infCount", s.infCount());
    }
    ObjectNode vs = n.putObject("vsReference");
    for (Map.Entry<String, PairMetrics> e : m.vsReference().entrySet()) {
      PairMetrics p = e.getValue();
      ObjectNode pn = vs.putObject(e.getKey());
      pn.put("comparedAs", p.comparedAs());
      pn.put("elementwise", p.elementwise());
      pn.set("maxAbsDiff", number(p.maxAbsDiff()));
      pn.set("maxRelDiff", number(p.maxRelDiff()));
      pn.set("cosine", cosine(p));
      pn.set("fractionOutside", number(p.fractionOutside()));
      pn.put("nanMismatches", p.nanMismatches());
      pn.put("withinTolerance", p.withinTolerance());
      significance(pn, p);
    }
    n.putObject("tolerance").put("atol", m.tolerance().atol()).put("rtol", m.tolerance().rtol());
    return n;
  }

  /** The tensor's scale, the difference relative to it, the rounding budget and the verdict. */
  private static void significance(ObjectNode n, PairMetrics p) {
    n.set("scale", number(p.scale()));
    n.set("scaledDiff", number(p.scaledDiff()));
    n.set("roundingBudget", number(p.roundingBudget()));
    n.put("significant", p.significant());
  }

  /** A reordering's permutation and a flatten's channel count, when the kind has them. */
  private static void permutation(ObjectNode n, WeightMismatch w) {
    if (!w.permutation().isEmpty()) {
      ArrayNode p = n.putArray("permutation");
      w.permutation().forEach(p::add);
    }
    if (w.flattenChannels() > 0) {
      n.put("flattenChannels", w.flattenChannels());
    }
  }
}
