using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd.Tensors;

/// <summary>The small kernel layer VJP rules are written against: broadcasting arithmetic over <see cref="NDArray"/>.</summary>
internal static class Arith
{
    public static NDArray Add(NDArray a, NDArray b, string op = "Add") => Kernels.Broadcast<AddK>(a, b, op);
    public static NDArray Sub(NDArray a, NDArray b, string op = "Sub") => Kernels.Broadcast<SubK>(a, b, op);
    public static NDArray Mul(NDArray a, NDArray b, string op = "Mul") => Kernels.Broadcast<MulK>(a, b, op);
    public static NDArray Div(NDArray a, NDArray b, string op = "Div") => Kernels.Broadcast<DivK>(a, b, op);
    public static NDArray Neg(NDArray x) => Kernels.Map<NegK>(x);
    public static NDArray Exp(NDArray x) => Kernels.Map<ExpK>(x);
    public static NDArray Log(NDArray x) => Kernels.Map<LogK>(x);
    public static NDArray Scale(NDArray x, double s) => Kernels.Map<ScaleK>(x, s);

    public struct AddK : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
    }

    public struct SubK : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
    }

    public struct MulK : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
    }

    public struct DivK : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
    }

    public struct NegK : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, y);
    }

    public struct ExpK : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, y);
    }

    public struct LogK : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, y);
    }

    public struct ScaleK : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double s) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, T.CreateChecked(s), y);
    }
}
