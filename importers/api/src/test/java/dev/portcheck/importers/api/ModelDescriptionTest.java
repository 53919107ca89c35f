package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A model's description carries its importer's conventions and resolves layouts and producers. */
class ModelDescriptionTest {
  private static final ModelImporter KERAS_LIKE =
      new ModelImporter() {
        @Override
        public Framework framework() {
          return Framework.TENSORFLOW;
        }

        @Override
        public String engine() {
          return "test";
        }

        @Override
        public String engineVersion() {
          return "0";
        }

        @Override
        public LayoutConvention layoutConvention() {
          return LayoutConvention.CHANNELS_LAST;
        }

        @Override
        public Set<OpRole> roles(String opType) {
          return opType.equals("GatherV2") ? Set.of(OpRole.LOOKUP) : Set.of();
        }

        @Override
        public boolean declaresInputTypes() {
          return false;
        }

        @Override
        public String formats() {
          return "test";
        }

        @Override
        public boolean canOpen(Path path) {
          return false;
        }

        @Override
        public ModelView open(Path path) {
          throw new UnsupportedOperationException();
        }
      };

  private static Layer layer(String name, String op, OpKind kind, String in, String out) {
    return new Layer(
        name,
        op,
        kind,
        List.of(in),
        List.of(out),
        Map.of(),
        Map.of(),
        Layout.UNSPECIFIED,
        null,
        true);
  }

  @Test
  void importersConventionsResolveLayoutsRolesAndProducers() {
    List<Layer> layers = new ArrayList<>();
    layers.add(layer("embed", "GatherV2", OpKind.OTHER, "ids", "embed:0"));
    layers.add(layer("conv", "Conv2D", OpKind.CONV, "embed:0", "conv:0"));
    ModelDescription d =
        ModelDescription.of(
            KERAS_LIKE,
            Path.of("m.savedmodel"),
            Map.of("format", "test"),
            List.of(new TensorInfo("ids", DType.INT64, List.of(1L, 8L), Layout.UNSPECIFIED)),
            List.of(),
            layers,
            Map.of());
    layers.clear(); // the description keeps its own copy
    assertEquals(Framework.TENSORFLOW, d.framework());
    assertEquals(2, d.layers().size());
    assertEquals(Set.of(OpRole.LOOKUP), d.roles(d.layers().get(0)));
    assertEquals(Set.of(), d.roles(d.layers().get(1)));
    assertEquals(Layout.NHWC, d.activationLayout("conv", 4));
    assertEquals(Layout.UNSPECIFIED, d.activationLayout("conv", 2));
    assertEquals(Optional.of("conv"), d.producer("conv:0").map(Layer::name));
    assertEquals(Optional.empty(), d.producer("ids"));
    assertFalse(d.declaresInputTypes());
    assertThrows(UnsupportedOperationException.class, () -> d.layers().add(d.layers().get(0)));
  }

  @Test
  void aViewExposesItsDescriptionThroughTheModelViewAccessors() {
    ModelDescription d =
        ModelDescription.of(
            KERAS_LIKE,
            Path.of("m.savedmodel"),
            Map.of(),
            List.of(),
            List.of(),
            List.of(layer("embed", "GatherV2", OpKind.OTHER, "ids", "embed:0")),
            Map.of());
    try (ModelView v = new DescribedView(d)) {
      assertEquals(d.layers(), v.layers());
      assertEquals(Path.of("m.savedmodel"), v.source());
      assertEquals(Set.of(OpRole.LOOKUP), v.roles(v.layer("embed").orElseThrow()));
      assertEquals(LayoutConvention.CHANNELS_LAST, v.layoutConvention());
    }
  }

  private record DescribedView(ModelDescription description) implements ModelView {
    @Override
    public Tensor parameter(String name) {
      throw PortcheckException.unknownParameter(description.source(), name, Set.of());
    }

    @Override
    public boolean runnable() {
      return false;
    }

    @Override
    public RunResult run(Map<String, Tensor> inputs, TapSelection taps) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
  }
}
