package dev.ibq.training.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.ibq.training.weights.DType;
import dev.ibq.training.weights.Safetensors;
import dev.ibq.training.weights.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * LPIPS with the VGG16 trunk, the perceptual loss of the IBQ paper (weight 1), computing exactly what
 * {@code lpips.LPIPS(net='vgg', version='0.1')} computes in eval mode (and taming's {@code LPIPS}, which SEED-Voken
 * trains with):
 *
 * <ol>
 *   <li>ScalingLayer: {@code (x - shift) / scale} with shift (-.030, -.088, -.188) and scale (.458, .448, .450)
 *       per RGB channel, on images in [-1, 1]; a gray image (B, 1, R, R) broadcasts to 3 channels, as PyTorch
 *       broadcasting does in the reference (the same as repeating the gray channel);
 *   <li>{@link Vgg16Features}: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3;
 *   <li>{@link PerceptualLoss} with the lin weights: unit channel vectors, squared difference, the 1x1 lin
 *       convolution (no bias; dropout is the identity in eval mode), spatial mean, sum over the five layers.
 * </ol>
 *
 * <p>Shapes: reconstruction and target (B, 1 or 3, R, R), R >= 16 -> per-image distances (B).
 *
 * <p>Weights: one safetensors file ({@link #load}) with exactly these 31 float tensors, written by
 * {@code training/src/main/python/convert_lpips_vgg.py} from torchvision's {@code vgg16-397923af.pth} and lpips'
 * {@code weights/v0.1/vgg.pth}: {@code net.slice1.0.weight} (w0, 3, 3, 3), {@code net.slice1.0.bias} (w0) ...
 * {@code net.slice5.28.bias} (torchvision's {@code features.N.*} under the slice that holds index N, see
 * {@link Vgg16Features}) and {@code lin0.model.1.weight} (1, w0, 1, 1) ... {@code lin4.model.1.weight} (1, w4, 1, 1).
 * The widths w0..w4 are read from the file (VGG16: 64, 128, 256, 512, 512) and every other shape is checked
 * against them. Frozen: no tensor of this module requires a gradient; gradients flow to the reconstruction.
 */
public final class LpipsVgg extends TokenizerModule {

  /** LPIPS' ScalingLayer constants (lpips/lpips.py, version 0.1). */
  static final float[] SHIFT = {-.030f, -.088f, -.188f};
  static final float[] SCALE = {.458f, .448f, .450f};

  private final Vgg16Features net;
  private final List<NDArray> lins = new ArrayList<>();
  private final PerceptualLoss distance;
  private final NDArray shift;
  private final NDArray scale;

  /** A randomly initialised network of the given slice widths (load weights with {@link #loadStateDict}). */
  public LpipsVgg(NDManager manager, List<Integer> widths) {
    super(manager);
    this.net = registerChild("net", new Vgg16Features(manager, 3, widths));
    for (int i = 0; i < widths.size(); i++) {
      ModuleGroup conv = registerChild("lin" + i, new ModuleGroup(manager)).group("model").group("1");
      NDArray w = conv.addParameter("weight", manager.ones(new Shape(1, widths.get(i), 1, 1)));
      lins.add(w);
    }
    for (NDArray p : stateDict().values()) {
      p.setRequiresGradient(false);
    }
    this.shift = manager.create(SHIFT, new Shape(1, 3, 1, 1));
    this.scale = manager.create(SCALE, new Shape(1, 3, 1, 1));
    this.distance = new PerceptualLoss(images -> net.features(scaled(images)), lins);
  }

  /** The slice widths (VGG16: 64, 128, 256, 512, 512). */
  public List<Integer> widths() {
    return net.widths();
  }

  /** True when the widths are VGG16's, i.e. this can be LPIPS itself rather than a test network. */
  public boolean isFullSize() {
    return net.widths().equals(Vgg16Features.VGG16_WIDTHS);
  }

  /** LPIPS of each pair (B); differentiable in both inputs, which must be (B, 1 or 3, R, R) in [-1, 1]. */
  public NDArray perImage(NDArray reconstruction, NDArray target) {
    checkImages(reconstruction, "reconstruction");
    checkImages(target, "target");
    if (!reconstruction.getShape().equals(target.getShape())) {
      throw new IllegalArgumentException(
          "LPIPS compares images of one shape; got reconstruction " + reconstruction.getShape() + " and target "
              + target.getShape() + ".");
    }
    return distance.perImage(reconstruction, target);
  }

  /** The batch mean of {@link #perImage} (what the reference's training loss averages). */
  public NDArray compute(NDArray reconstruction, NDArray target) {
    return perImage(reconstruction, target).mean();
  }

  /** ScalingLayer: (B, 1 or 3, R, R) -> (B, 3, R, R). */
  NDArray scaled(NDArray images) {
    return images.sub(shift).div(scale);
  }

  private static void checkImages(NDArray images, String what) {
    Shape s = images.getShape();
    if (s.dimension() != 4 || (s.get(1) != 1 && s.get(1) != 3) || s.get(2) < 16 || s.get(3) < 16) {
      throw new IllegalArgumentException(
          "LPIPS-VGG takes images (B, 1 or 3, H, W) with H, W >= 16 (four 2x2 max-pools); the " + what + " is " + s + ".");
    }
  }

  /** The 31 keys of an LPIPS-VGG weight file, in the converter's order. */
  public static List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (int s = 0; s < Vgg16Features.CONV_INDICES.length; s++) {
      for (int index : Vgg16Features.CONV_INDICES[s]) {
        keys.add("net.slice" + (s + 1) + "." + index + ".weight");
        keys.add("net.slice" + (s + 1) + "." + index + ".bias");
      }
    }
    for (int i = 0; i < Vgg16Features.CONV_INDICES.length; i++) {
      keys.add("lin" + i + ".model.1.weight");
    }
    return keys;
  }

  /**
   * Reads an LPIPS-VGG weight file (see the class comment) onto {@code manager}.
   *
   * @throws IOException when the file is missing or not a readable safetensors file
   * @throws IllegalArgumentException naming the file and the key when a key is missing or unexpected, a tensor is
   *     not floating point, a shape does not fit the topology, or a lin weight is negative
   */
  public static LpipsVgg load(Path file, NDManager manager) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.nio.file.NoSuchFileException(file.toString(), null,
          "there is no LPIPS-VGG weight file at this path; make one with training/src/main/python/convert_lpips_vgg.py"
              + " from torchvision's vgg16-397923af.pth and lpips' weights/v0.1/vgg.pth (see the README, \"Perceptual loss\")");
    }
    Map<String, TensorData> tensors = Safetensors.read(file).tensors();
    List<String> expected = keys();
    TreeSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(tensors.keySet());
    TreeSet<String> unexpected = new TreeSet<>(tensors.keySet());
    unexpected.removeAll(expected);
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new IllegalArgumentException(
          file + " is not an LPIPS-VGG weight file: " + (missing.isEmpty() ? "" : "missing keys " + missing)
              + (!missing.isEmpty() && !unexpected.isEmpty() ? ", " : "")
              + (unexpected.isEmpty() ? "" : "unexpected keys " + unexpected)
              + "; expected exactly the 31 keys net.slice1.0.weight ... net.slice5.28.bias and lin0.model.1.weight ..."
              + " lin4.model.1.weight that convert_lpips_vgg.py writes.");
    }
    for (String key : expected) {
      DType dtype = tensors.get(key).dtype();
      if (!dtype.isFloating()) {
        throw new IllegalArgumentException(
            file + ": " + key + " holds " + dtype + " values; LPIPS-VGG weights must be floating point (F32, F16, BF16 or F64).");
      }
    }
    List<Integer> widths = new ArrayList<>();
    for (int s = 0; s < Vgg16Features.CONV_INDICES.length; s++) {
      long[] first = tensors.get("net.slice" + (s + 1) + "." + Vgg16Features.CONV_INDICES[s][0] + ".weight").shape();
      if (first.length != 4 || first[0] <= 0 || first[0] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            file + ": net.slice" + (s + 1) + "." + Vgg16Features.CONV_INDICES[s][0] + ".weight has shape "
                + Arrays.toString(first) + "; a convolution weight is (out, in, 3, 3).");
      }
      widths.add((int) first[0]);
    }
    LpipsVgg model = new LpipsVgg(manager, widths);
    List<String> misShaped = new ArrayList<>();
    Map<String, NDArray> state = new LinkedHashMap<>();
    try (NDManager staging = manager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : model.stateDict().entrySet()) {
        TensorData t = tensors.get(e.getKey());
        Shape want = e.getValue().getShape();
        if (!Arrays.equals(t.shape(), want.getShape())) {
          misShaped.add(e.getKey() + " is " + Arrays.toString(t.shape()) + " but " + Arrays.toString(want.getShape())
              + " is expected");
          continue;
        }
        state.put(e.getKey(), staging.create(t.toFloatArray(), want));
      }
      if (!misShaped.isEmpty()) {
        throw new IllegalArgumentException(
            file + " has tensors whose shapes do not fit VGG16's topology with the slice widths " + widths + " read from"
                + " its first convolutions: " + String.join("; ", misShaped) + ".");
      }
      for (int i = 0; i < widths.size(); i++) {
        String key = "lin" + i + ".model.1.weight";
        float min = state.get(key).min().getFloat();
        if (min < 0) {
          throw new IllegalArgumentException(
              file + ": " + key + " has a negative weight (" + min + "); LPIPS' lin weights are non-negative (lpips clamps"
                  + " them at 0 while training), so this is not an LPIPS lin layer.");
        }
      }
      model.loadStateDict(state);
    }
    return model;
  }
}
