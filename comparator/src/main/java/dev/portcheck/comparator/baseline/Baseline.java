package dev.portcheck.comparator.baseline;

import dev.portcheck.comparator.Checksum;
import dev.portcheck.comparator.Sketch;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.api.WeightLayout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's recorded behaviour on fixed probes: what {@code portcheck snapshot} writes and {@code
 * portcheck check} compares against. Immutable; read and written by {@link BaselineFormat}.
 *
 * @param formatVersion the file format version ({@link BaselineFormat#VERSION} when written now)
 * @param portcheckVersion the portcheck version that recorded it
 * @param engines engine versions at recording time ({@code onnxruntime: 1.29.0}...)
 * @param created ISO-8601 instant of recording
 * @param model the recorded model
 * @param probes the probes fed, in order; activations and outputs are indexed like them
 * @param layers every layer in graph order, with its activation summaries
 * @param parameters every parameter's checksum, by the model's parameter name
 * @param outputs the model outputs per probe, in full when small
 */
public record Baseline(
    int formatVersion,
    String portcheckVersion,
    Map<String, String> engines,
    String created,
    ModelRecord model,
    List<ProbeRecord> probes,
    List<LayerRecord> layers,
    Map<String, ParameterRecord> parameters,
    List<OutputRecord> outputs) {
  public Baseline {
    engines = Collections.unmodifiableMap(new LinkedHashMap<>(engines));
    Objects.requireNonNull(model, "model");
    probes = List.copyOf(probes);
    layers = List.copyOf(layers);
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    outputs = List.copyOf(outputs);
  }

  /**
   * The recorded model.
   *
   * @param path where it was read from, as given
   * @param framework the framework it was read with
   * @param metadata format-level facts (producer, opset)
   * @param inputs its declared inputs
   * @param outputs its declared outputs
   */
  public record ModelRecord(
      String path,
      Framework framework,
      Map<String, String> metadata,
      List<TensorInfo> inputs,
      List<TensorInfo> outputs) {
    public ModelRecord {
      Objects.requireNonNull(framework, "framework");
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * One probe as fed to the recorded model.
   *
   * @param label its label ({@code ones}, {@code random:0})
   * @param inputs each input, by position
   */
  public record ProbeRecord(String label, List<ProbeInput> inputs) {
    public ProbeRecord {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * One probe input.
   *
   * @param position the input's position
   * @param name the recorded model's name for it
   * @param shape its shape in {@code layout}
   * @param layout the recorded model's layout of it
   * @param dtype element type fed
   * @param spec how it was filled: {@code ones}, {@code zeros}, {@code random:SEED}, {@code
   *     value:N} or {@code npy:PATH}
   * @param npy for {@code npy:} probes, the file's bytes, so that the check does not need the file
   *     (null otherwise)
   */
  public record ProbeInput(
      int position,
      String name,
      List<Long> shape,
      Layout layout,
      DType dtype,
      String spec,
      byte[] npy) {
    public ProbeInput {
      shape = List.copyOf(shape);
    }
  }

  /**
   * One layer and what it produced.
   *
   * @param name the model's own name
   * @param opType the framework's op type
   * @param kind the framework-neutral kind
   * @param inputs tensor names it reads
   * @param outputs tensor names it writes
   * @param attributes typed attributes under canonical names
   * @param parameters parameter names by role
   * @param layout layout of its output
   * @param parent the enclosing layer, or null
   * @param tappable whether its output could be read
   * @param activations its output summary per probe (same order as the probes), empty when it was
   *     not tapped
   */
  public record LayerRecord(
      String name,
      String opType,
      OpKind kind,
      List<String> inputs,
      List<String> outputs,
      Map<String, AttributeValue> attributes,
      Map<String, String> parameters,
      Layout layout,
      String parent,
      boolean tappable,
      List<Sketch> activations) {
    public LayerRecord {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
      attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
      parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
      activations = List.copyOf(activations);
    }
  }

  /**
   * A parameter's checksum.
   *
   * @param name the model's name for it
   * @param dtype stored element type
   * @param shape stored shape
   * @param layout stored layout
   * @param checksum its values in the canonical layout, summarised
   */
  public record ParameterRecord(
      String name, DType dtype, List<Long> shape, WeightLayout layout, Checksum checksum) {
    public ParameterRecord {
      shape = List.copyOf(shape);
    }
  }

  /**
   * A model output on one probe.
   *
   * @param name the output name
   * @param probe the probe's label
   * @param summary its summary
   * @param values its values in order (row-major, the model's own layout) when at most {@link
   *     Snapshotter#FULL_OUTPUT_LIMIT} elements, else null
   */
  public record OutputRecord(String name, String probe, Sketch summary, float[] values) {}
}
