package dev.portcheck.comparator.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcheck.importers.api.Layout;
import org.junit.jupiter.api.Test;

class LayoutMatchTest {
  @Test
  void scalarsAndVectorsAreComparedAsTheyAre() {
    assertEquals(
        LayoutMatch.IDENTITY, LayoutMatch.find(new long[0], Layout.NCHW, new long[0], Layout.NHWC));
    assertEquals(
        LayoutMatch.IDENTITY,
        LayoutMatch.find(new long[] {4}, Layout.NCHW, new long[] {4}, Layout.NHWC));
  }
}
