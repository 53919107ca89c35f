/**
 * The ONNX importer: reads {@code .onnx} files with classes generated from portcheck's own subset
 * of the ONNX schema ({@code src/main/protobuf/onnx.proto}), lists their nodes as layers, and runs
 * them with ONNX Runtime, exposing intermediate node outputs by adding them as graph outputs of an
 * edited in-memory copy.
 */
package dev.portcheck.importers.onnx;
