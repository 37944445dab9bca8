package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * One named term of a quantizer's training loss, unweighted, with the config key of its weight. The trainer adds
 * {@code weight * value} for every term whose weight is not 0 and logs {@code value} under {@code name}, without
 * knowing either name: the quantizer owns its loss.
 *
 * @param name the metrics-log column, e.g. {@code quant}; must not be one of the trainer's own columns ({@code loss},
 *     {@code l1}, {@code d_loss}, ...)
 * @param value a differentiable 0-dim tensor on the input's manager
 * @param weightKey the key under {@code losses} in the training config whose value weights this term, e.g.
 *     {@code quantization} for {@code losses.quantization}
 */
public record LossTerm(String name, NDArray value, String weightKey) {

  public LossTerm {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(weightKey, "weightKey");
  }
}
