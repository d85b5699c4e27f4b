namespace Autograd;

/// <summary>The element type of a tensor. Every kernel is one generic implementation serving both.</summary>
public enum DType
{
    /// <summary>32-bit IEEE-754 floating point (<see cref="float"/>): the default for training.</summary>
    Float32,

    /// <summary>64-bit IEEE-754 floating point (<see cref="double"/>): the default for gradient checks.</summary>
    Float64,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>The NumPy-style name: <c>float32</c> or <c>float64</c>.</summary>
    public static string Name(this DType dtype) => dtype == DType.Float32 ? "float32" : "float64";

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>The wider of two dtypes (float64 wins), as NumPy and PyTorch promote.</summary>
    public static DType Promote(DType a, DType b) => a == DType.Float64 || b == DType.Float64 ? DType.Float64 : DType.Float32;

    internal static DType Of<T>() => typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"Element type {typeof(T).Name} is not supported; use float or double.");
}
