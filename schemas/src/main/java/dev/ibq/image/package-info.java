/**
 * The image contract: the one decode and preprocessing implementation that training, export checks
 * and the stream job share, so equal {@link dev.ibq.image.PreprocessingSpec}s give bit-identical
 * tensors everywhere.
 *
 * <p>Public API: {@link dev.ibq.image.PreprocessingSpec} (+ {@link dev.ibq.image.ResizePolicy},
 * {@link dev.ibq.image.Interpolation}), {@link dev.ibq.image.Preprocessor},
 * {@link dev.ibq.image.ImageDecoder} with {@link dev.ibq.image.DecodeLimits}, returning
 * {@link dev.ibq.image.DecodedImage} or throwing {@link dev.ibq.image.ImageRejectedException}.
 * Typical use:
 *
 * <pre>{@code
 * Preprocessor pre = new Preprocessor(PreprocessingSpec.fashionMnist32());
 * float[] chw = pre.decodeAndApply(bytes, DecodeLimits.defaults()); // (1, 32, 32) in [-1, 1]
 * }</pre>
 */
package dev.ibq.image;
