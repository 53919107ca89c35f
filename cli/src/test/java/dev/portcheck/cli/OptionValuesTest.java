package dev.portcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcheck.comparator.ProbeSpec;
import dev.portcheck.comparator.Tolerance;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The option converters: the documented syntax parses, anything else says the expected form. */
class OptionValuesTest {
  @Test
  void shapeParsesNameAndPositiveSizes() {
    OptionValues.Shape s = new OptionValues.Shape.Converter().convert("x=1, 3,224,224");
    assertEquals("x", s.name());
    assertEquals(List.of(1L, 3L, 224L, 224L), s.dims());
    for (String bad : new String[] {"x", "x=", "=1,3", "x=1,,3", "x=1,-3", "x=1,3.5"}) {
      TypeConversionException e =
          assertThrows(
              TypeConversionException.class, () -> new OptionValues.Shape.Converter().convert(bad));
      assertTrue(e.getMessage().contains("--shape "), bad + ": " + e.getMessage());
    }
  }

  @Test
  void integerValueParsesNameAndInteger() {
    assertEquals(
        new OptionValues.IntegerValue("sr", 16000),
        new OptionValues.IntegerValue.Converter().convert("sr=16000"));
    TypeConversionException e =
        assertThrows(
            TypeConversionException.class,
            () -> new OptionValues.IntegerValue.Converter().convert("sr=16k"));
    assertEquals("'sr=16k': the value must be an integer, e.g. --value sr=16000", e.getMessage());
  }

  @Test
  void inputParsesABareSpecANamedSpecAndAnNpyPath() {
    OptionValues.Input.Converter c = new OptionValues.Input.Converter();
    assertEquals(new OptionValues.Input("", ProbeSpec.ONES), c.convert("ones"));
    assertEquals(new OptionValues.Input("x", ProbeSpec.ZEROS), c.convert("x=zeros"));
    assertEquals(new OptionValues.Input("1", new ProbeSpec.Random(3)), c.convert("1=random:3"));
    assertEquals(
        new OptionValues.Input("", new ProbeSpec.NpyFile(Path.of("a/b.npy"))),
        c.convert("a/b.npy"));
    TypeConversionException e =
        assertThrows(TypeConversionException.class, () -> c.convert("x=gaussian"));
    assertTrue(e.getMessage().contains("use ones, zeros, random:SEED"), e.getMessage());
  }

  @Test
  void layerToleranceParsesAtolAndOptionalRtolAfterTheLastEquals() {
    OptionValues.LayerTolerance.Converter c = new OptionValues.LayerTolerance.Converter();
    assertEquals(
        new OptionValues.LayerTolerance("norm2", new Tolerance(1e-3, 1e-2)),
        c.convert("norm2=1e-3,1e-2"));
    assertEquals(
        new OptionValues.LayerTolerance("a=b", new Tolerance(1e-3, Tolerance.DEFAULT.rtol())),
        c.convert("a=b=1e-3"));
    for (String bad : new String[] {"norm2", "=1e-3", "norm2=x", "norm2=1,2,3", "norm2=-1"}) {
      TypeConversionException e =
          assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
      assertTrue(e.getMessage().startsWith("'" + bad + "': "), e.getMessage());
    }
  }

  @Test
  void memorySizeParsesUnitsAndRefusesNonPositiveSizes() {
    OptionValues.MemorySize.Converter c = new OptionValues.MemorySize.Converter();
    assertEquals(512L << 20, c.convert("512M").bytes());
    assertEquals(3L << 29, c.convert("1.5g").bytes());
    assertEquals(2L << 30, c.convert("2GiB").bytes());
    assertEquals(1_000_000L, c.convert("1000000").bytes());
    for (String bad : new String[] {"lots", "0", "-1G", "G"}) {
      TypeConversionException e =
          assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
      assertEquals("'" + bad + "': expected a size such as 512M, 8G or 1.5G", e.getMessage());
    }
  }

  @Test
  void toleranceIsAFiniteNonNegativeNumber() {
    OptionValues.NonNegative c = new OptionValues.NonNegative();
    assertEquals(0.0, c.convert("0"));
    assertEquals(1e-4, c.convert("1e-4"));
    for (String bad : new String[] {"-1", "NaN", "Infinity", "x"}) {
      assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
    }
  }
}
