package dev.ibq.training.tokenizer.train;

/**
 * The non-tensor state of a training run at a checkpoint ({@code state.json}).
 *
 * @param step optimisation steps completed
 * @param dataEpoch epoch of the next batch
 * @param dataOffset offset of the next batch in that epoch's permutation (the permutation is a function
 *     of seed and epoch, so this is the whole data RNG state)
 * @param lecamRealEma LeCAM EMA of mean D(real)
 * @param lecamFakeEma LeCAM EMA of mean D(fake)
 * @param emaUpdates weight-EMA updates so far (drives its warm-up)
 * @param generatorAdamUpdates Adam's t for the generator
 * @param discriminatorAdamUpdates Adam's t for the discriminator
 * @param preprocessing the canonical text of the preprocessing spec the images went through
 * @param device the device it was trained on (informative)
 * @param elapsedSeconds training wall time so far (informative)
 */
public record TrainingState(
    long step,
    long dataEpoch,
    int dataOffset,
    double lecamRealEma,
    double lecamFakeEma,
    long emaUpdates,
    long generatorAdamUpdates,
    long discriminatorAdamUpdates,
    String preprocessing,
    String device,
    double elapsedSeconds) {}
