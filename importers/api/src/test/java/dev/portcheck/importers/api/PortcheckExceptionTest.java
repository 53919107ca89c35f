package dev.portcheck.importers.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortcheckExceptionTest {
  @Test
  void unknownParameterNamesTheFileAFewKnownNamesAndHowToListThemAll() {
    PortcheckException e =
        PortcheckException.unknownParameter(
            Path.of("m.onnx"), "fc.weigth", List.of("a", "b", "c", "d", "e", "f", "g"));
    assertEquals(PortcheckException.Reason.NOT_FOUND, e.reason());
    assertEquals(
        "m.onnx: no parameter named 'fc.weigth'; expected one of [a, b, c, d, e] (7 in all);"
            + " 'portcheck inspect --params' lists them.",
        e.getMessage());
  }
}
