using System.Numerics;

namespace Autograd;

public sealed partial class Tensor
{
    /// <summary>A vector leaf holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(double[] values) => FromArray(values, values.Length);

    /// <summary>A vector leaf holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(float[] values) => FromArray(values, values.Length);

    /// <summary>A leaf from row-major values and a shape (copied); an empty shape is a scalar.</summary>
    public static Tensor FromArray(double[] values, params int[] shape) => new(NDArray.From<double>(values, Shape.Of(shape)));

    /// <summary>A leaf from row-major values and a shape (copied); an empty shape is a scalar.</summary>
    public static Tensor FromArray(float[] values, params int[] shape) => new(NDArray.From<float>(values, Shape.Of(shape)));

    /// <summary>A leaf from a rectangular (<c>double[,]</c>, <c>float[,,]</c>...) or jagged (<c>double[][]</c>) array of
    /// float or double; a one-dimensional array becomes a vector.</summary>
    public static Tensor From(Array values)
    {
        var dims = new List<int>();
        var flat = new List<double>();
        Type? element = null;
        Flatten(values, 0, dims, flat, ref element);
        var shape = Shape.Of([.. dims]);
        return element == typeof(float)
            ? new Tensor(NDArray.From<float>(flat.Select(v => (float)v).ToArray(), shape))
            : new Tensor(NDArray.From<double>(flat.ToArray(), shape));
    }

    private static void Flatten(Array a, int depth, List<int> dims, List<double> flat, ref Type? element)
    {
        var et = a.GetType().GetElementType()!;
        if (et.IsArray)
        {
            SetDim(dims, depth, a.Length);
            foreach (Array inner in a) Flatten(inner, depth + 1, dims, flat, ref element);
            return;
        }
        if (et != typeof(float) && et != typeof(double))
            throw new ArgumentException($"Tensor.From: elements of type {et.Name} are not supported; use float or double.");
        element = et;
        for (int r = 0; r < a.Rank; r++) SetDim(dims, depth + r, a.GetLength(r));
        foreach (var v in a) flat.Add(Convert.ToDouble(v));
    }

    private static void SetDim(List<int> dims, int axis, int size)
    {
        if (axis == dims.Count) dims.Add(size);
        else if (dims[axis] != size)
            throw new ShapeMismatchException($"Tensor.From: the nested array is ragged: axis {axis} has lengths {dims[axis]} and {size}.");
    }

    /// <summary>A rank-0 tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => new(NDArray.Full(Shape.Scalar, value, dtype));

    /// <summary>Zeros of the given shape.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => new(NDArray.Zeros(shape, dtype));

    /// <summary>Ones of the given shape.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>Every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32) => new(NDArray.Full(shape, value, dtype));

    /// <summary>Zeros shaped and typed like <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape, like.DType);

    /// <summary>Ones shaped and typed like <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape, like.DType);

    /// <summary>start, start + step, ... up to but excluding stop (NumPy <c>arange</c>).</summary>
    public static Tensor Arange(double start, double stop, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0) throw new ArgumentException("Arange: step must not be 0.");
        int n = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        return Generate(Shape.Of(n), i => start + i * step, dtype);
    }

    /// <summary>Arange from 0: 0, 1, ..., stop - 1.</summary>
    public static Tensor Arange(int stop, DType dtype = DType.Float32) => Arange(0, stop, 1, dtype);

    /// <summary><paramref name="count"/> evenly spaced values from start to stop inclusive (NumPy <c>linspace</c>).</summary>
    public static Tensor Linspace(double start, double stop, int count, DType dtype = DType.Float32)
    {
        if (count < 0) throw new ArgumentException($"Linspace: count must be non-negative, got {count}.");
        double step = count > 1 ? (stop - start) / (count - 1) : 0;
        return Generate(Shape.Of(count), i => i == count - 1 ? stop : start + i * step, dtype);
    }

    /// <summary>The n×m identity-like matrix (ones on the diagonal); m defaults to n.</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        return Generate(Shape.Of(n, cols), i => i / cols == i % cols ? 1 : 0, dtype);
    }

    /// <summary>Samples from N(mean, std²), drawn from an explicit generator.</summary>
    public static Tensor RandomNormal(Shape shape, Random rng, double mean = 0, double std = 1, DType dtype = DType.Float32) =>
        Generate(shape, _ => mean + std * NextGaussian(rng), dtype);

    /// <summary>Samples from N(mean, std²), drawn from <c>new Random(seed)</c>.</summary>
    public static Tensor RandomNormal(Shape shape, int seed, double mean = 0, double std = 1, DType dtype = DType.Float32) =>
        RandomNormal(shape, new Random(seed), mean, std, dtype);

    /// <summary>Samples from U(low, high), drawn from an explicit generator.</summary>
    public static Tensor RandomUniform(Shape shape, Random rng, double low = 0, double high = 1, DType dtype = DType.Float32) =>
        Generate(shape, _ => low + (high - low) * rng.NextDouble(), dtype);

    /// <summary>Samples from U(low, high), drawn from <c>new Random(seed)</c>.</summary>
    public static Tensor RandomUniform(Shape shape, int seed, double low = 0, double high = 1, DType dtype = DType.Float32) =>
        RandomUniform(shape, new Random(seed), low, high, dtype);

    private static double NextGaussian(Random rng)
    {
        // Box–Muller; 1 - U keeps the logarithm's argument in (0, 1].
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static Tensor Generate(Shape shape, Func<int, double> f, DType dtype)
    {
        var v = NDArray.Empty(shape, dtype);
        if (dtype == DType.Float32) Fill<float>(v, f); else Fill<double>(v, f);
        return new Tensor(v);
    }

    private static void Fill<T>(NDArray v, Func<int, double> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = v.Array<T>();
        for (int i = 0; i < d.Length; i++) d[i] = T.CreateChecked(f(i));
    }
}
