/**
 * The model view shared by every importer: one framework-neutral picture of a model (inputs,
 * ordered layers with typed attributes and named parameters) plus a way to run it and read any
 * layer's output.
 *
 * <p>This package has no native dependency. Engine modules ({@code importers/onnx}, {@code
 * importers/tensorflow}, {@code importers/pytorch}) implement {@link
 * dev.portcheck.importers.api.ModelImporter} and are found through {@link java.util.ServiceLoader},
 * the way DJL finds its engines; {@link dev.portcheck.importers.api.Importers#open} picks one by
 * looking at the file's content.
 */
package dev.portcheck.importers.api;
