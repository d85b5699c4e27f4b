using System.Numerics.Tensors;

namespace Autograd;

// The compiled scan's elementwise kernels, forward and backward (see CompiledScanOp).
internal sealed partial class CompiledScanOp
{
    private sealed partial class Run<T>
    {
        // y = K(x) for an activation, row by row from the input's columns when x is a slice read in place.
        private void Map<K>(ScanRef x, int t, int lo, int hi, Span<T> y) where K : IUnaryKernel
        {
            if (x.Source != ScanSource.Node || _nodes[x.Index] is not { InPlace: true } piece)
            {
                K.Apply(Value(x, t, lo, hi), y, 0);
                return;
            }
            var (a, o, _) = Rows(piece.Inputs[0], t, lo, hi);
            int cols = piece.Shape[-1], from = ShapeOf(piece.Inputs[0])[-1];
            for (int r = 0; r < y.Length / cols; r++) K.Apply<T>(a.AsSpan(o + r * from + piece.SliceStart, cols), y.Slice(r * cols, cols), 0);
        }

        // y = a op b, each operand of y's size, one element, or one row of `cols` (broadcast over rows).
        private static void Binary(ScanInstr op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, int cols)
        {
            if (a.Length == y.Length && b.Length == y.Length)
            {
                if (op == ScanInstr.Add) TensorPrimitives.Add(a, b, y);
                else if (op == ScanInstr.Sub) TensorPrimitives.Subtract(a, b, y);
                else TensorPrimitives.Multiply(a, b, y);
            }
            else if (b.Length == 1)
            {
                if (op == ScanInstr.Add) TensorPrimitives.Add(a, b[0], y);
                else if (op == ScanInstr.Sub) TensorPrimitives.Subtract(a, b[0], y);
                else TensorPrimitives.Multiply(a, b[0], y);
            }
            else if (a.Length == 1)
            {
                if (op == ScanInstr.Add) TensorPrimitives.Add(b, a[0], y);
                else if (op == ScanInstr.Sub) TensorPrimitives.Subtract(a[0], b, y);
                else TensorPrimitives.Multiply(b, a[0], y);
            }
            else
                for (int r = 0; r < y.Length / cols; r++)
                    Binary(op, a.Length == y.Length ? a.Slice(r * cols, cols) : a, b.Length == y.Length ? b.Slice(r * cols, cols) : b,
                        y.Slice(r * cols, cols), cols);
        }

        // g_x of an activation from its output y, by the primitives' own kernels: σ: g·y·(1 − y), tanh: g·(1 − y²),
        // exp: g·y, relu: g where y > 0 (where x > 0: the same elements).
        private static void Activation(ScanInstr op, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> gx)
        {
            switch (op)
            {
                case ScanInstr.Sigmoid: Lanes<SigmoidOp.Bwd>.Apply(y, g, gx); break;
                case ScanInstr.Tanh: Lanes<TanhOp.Bwd>.Apply(y, g, gx); break;
                case ScanInstr.Exp: Arith.MulK.Apply(g, y, gx); break;
                default: ReluOp.Bwd.Apply(y, g, gx); break;
            }
        }
    }
}
