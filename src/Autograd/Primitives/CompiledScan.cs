using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd;

/// <summary>
/// A scan recorded as one node: the step traced once (<see cref="ScanProgram"/>) and run here for every step over
/// buffers of its own, as a fused layer like <see cref="Ops.LstmSequence(Tensor, Tensor, Tensor, Tensor, Tensor?, bool)"/>
/// runs its fixed cell. Inputs: xs [T, ...], the initial carry tensors, then the externals (weights, constants).
/// Value: the outputs y_t [T, ...y] and the final carry tensors, flattened one after the other.
/// <para>Forward: an affine map of x_t alone is one product over all T·B rows before the loop; the other nodes run
/// step by step, a product added into a sum computed onto that sum. Only the values the rule reads are kept for every
/// step (an activation's output, a product's factors, an affine map's input, the carry); the rest live in one buffer
/// per node, reused at every step.</para>
/// <para>Derivative: the steps in reverse, each node's cotangent in one buffer reused at every step, except a product's,
/// kept for every step (shared with the sum it feeds): a weight's cotangent is Σ_t g_tᵀ a_t, one product per
/// contiguous run of a_t after the loop, as the fused layers do.</para>
/// <para>When every value of the step has the batch on axis 0, a step runs as two halves of the batch, one per core,
/// in both directions; each half adds into externals' cotangents of its own, summed in a fixed order at the end, so
/// the result does not depend on timing.</para>
/// </summary>
internal sealed partial class CompiledScanOp : Primitive
{
    private readonly ScanProgram _program;
    private readonly int _steps;
    private readonly bool _reverse;
    private readonly Shape _xShape;
    private readonly Shape[] _carryShapes;
    // PERF: every value kept for the rule in one pooled array (one rent per call).
    private Residuals Stored => Kept!;
    private readonly int[] _storedAt;   // per node: where its values [T · size] start in that array, or −1 if not kept
    private readonly int _storedLength; // the array's length in use

    private CompiledScanOp(ScanProgram program, Tensor xs, IReadOnlyList<Tensor> init, bool reverse) : base(new Residuals(1))
    {
        _program = program;
        _steps = xs.Shape[0];
        _reverse = reverse;
        _xShape = xs.Shape.RemoveAxis(0);
        _carryShapes = init.Select(c => c.Shape).ToArray();
        _storedAt = new int[program.Nodes.Length];
        for (int k = 0; k < _storedAt.Length; k++)
            (_storedAt[k], _storedLength) = program.Nodes[k].Stored ? (_storedLength, _storedLength + _steps * program.Nodes[k].Size) : (-1, _storedLength);
    }

    public override string Name => "scan";
    public override string Attributes => $"steps={_steps}, body={_program.Nodes.Length} ops{(_reverse ? ", reverse" : "")}";

    /// <summary>Runs the program over xs from <paramref name="init"/> and records the node: the final carry tensors
    /// and the stacked outputs, each a slice of its value.</summary>
    internal static (Tensor[] Final, Tensor Ys) Record(ScanProgram program, Tensor xs, IReadOnlyList<Tensor> init, bool reverse)
    {
        var op = new CompiledScanOp(program, xs, init, reverse);
        Tensor[] inputs = [xs, .. init, .. program.Externals];
        var value = op.Forward(inputs);
        var node = op.Record(value, inputs);
        int at = op._steps * program.YShape.Size;
        var ys = Ops.Reshape(Ops.Slice(node, 0, 0, at), [op._steps, .. program.YShape.Dims]);
        var final = new Tensor[init.Count];
        for (int i = 0; i < final.Length; at += init[i].Size, i++)
            final[i] = program.CarryOut[i] == new ScanRef(ScanSource.Carry, i)
                ? init[i] // passed through unchanged: the initial tensor itself, as in the unrolled loop
                : Ops.Reshape(Ops.Slice(node, 0, at, at + init[i].Size), init[i].Shape.ToArray());
        return (final, ys);
    }

    // The forward pass over the node's inputs (xs, the initial carry, the externals), in xs's dtype: the value, and the
    // kept values rented for the rule.
    private NDArray Forward(Tensor[] inputs) =>
        inputs[0].DType == DType.Float32 ? new Run<float>(this, inputs).Forward() : new Run<double>(this, inputs).Forward();

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var inputs = new Tensor[y.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = y.Input(i);
        using var reading = Stored.Read(() => Forward(inputs));
        return gy.DType == DType.Float32 ? new Run<float>(this, inputs).Backward(gy.Array<float>()) : new Run<double>(this, inputs).Backward(gy.Array<double>());
    }

    /// <summary>One forward or backward pass over the program, in dtype <typeparamref name="T"/>. The forward pass is
    /// here, the derivative in CompiledScan.Rule.cs (its products in CompiledScan.Products.cs), the elementwise kernels
    /// of both in CompiledScan.Elementwise.cs.</summary>
    private sealed partial class Run<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        // PERF: a step whose values all have the batch on axis 0 runs as two halves of the batch, one per core, GEMMs
        // and elementwise ops together (as the fused layers do, RowHalves), from this batch and this much GEMM work on.
        private const int MinSplitBatch = 16;
        private const long MinSplitWork = 1L << 20;

        private readonly CompiledScanOp _op;
        private readonly ScanNode[] _nodes;
        private readonly T[] _xs;
        private readonly T[][] _init, _ext;
        private readonly Shape[] _extShapes;
        private readonly T[]?[] _scratch; // a node's value within one step, when it is not kept for every step
        private T[]?[] _startRow = null!; // per product: the row its value starts from (its bias, plus an add's: Onto); forward only
        private readonly int _steps;
        private readonly int _batch;      // B when every x, carry and node value is [B, ...]; otherwise 1 (no rows to split)
        private readonly bool _split;     // run each step as two halves of the batch

        public Run(CompiledScanOp op, Tensor[] inputs)
        {
            _op = op;
            _nodes = op._program.Nodes;
            _steps = op._steps;
            _xs = inputs[0].Value.Array<T>();
            int carries = op._carryShapes.Length;
            _init = new T[carries][];
            for (int i = 0; i < carries; i++) _init[i] = inputs[1 + i].Value.Array<T>();
            _ext = new T[inputs.Length - 1 - carries][];
            _extShapes = new Shape[_ext.Length];
            for (int j = 0; j < _ext.Length; j++) (_ext[j], _extShapes[j]) = (inputs[1 + carries + j].Value.Array<T>(), inputs[1 + carries + j].Shape);
            _scratch = new T[_nodes.Length][];
            int b = op._xShape.Rank > 0 ? op._xShape[0] : 0;
            bool batched = b > 0 && op._carryShapes.All(c => c.Rank > 0 && c[0] == b) && _nodes.All(n => n.Shape.Rank > 0 && n.Shape[0] == b)
                && !_nodes.Any(n => n.Instr is ScanInstr.Affine or ScanInstr.MatMul && n.Inputs[0].Source == ScanSource.External)
                && op._program.Y.Source != ScanSource.External && op._program.CarryOut.All(c => c.Source != ScanSource.External);
            _batch = batched ? b : 1;
            long work = _nodes.Where(n => n.Instr is ScanInstr.Affine or ScanInstr.MatMul && !n.Hoisted).Sum(n => (long)n.Size * Weight(n).Ins);
            _split = batched && b >= MinSplitBatch && work >= MinSplitWork && Environment.ProcessorCount >= 2;
        }

        private int First => _op._reverse ? _steps - 1 : 0;
        private int Last => _op._reverse ? 0 : _steps - 1;
        private int Prev(int t) => _op._reverse ? t + 1 : t - 1;
        private int At(int s) => _op._reverse ? _steps - 1 - s : s; // position of the s-th step processed

        private Shape ShapeOf(ScanRef r) => r.Source switch
        {
            ScanSource.X => _op._xShape,
            ScanSource.Carry => _op._carryShapes[r.Index],
            ScanSource.External => _extShapes[r.Index],
            _ => _nodes[r.Index].Shape,
        };

        // Elements per batch row of r, or 0 for a value that is not split by rows (an external).
        private int RowSize(ScanRef r) => r.Source == ScanSource.External || _batch == 1 ? 0 : ShapeOf(r).Size / _batch;

        // Where the value r of step t lives: an array and the offset of its first element.
        private (T[] Array, int Offset) Locate(ScanRef r, int t)
        {
            while (r.Source == ScanSource.Carry && t != First) (r, t) = (_op._program.CarryOut[r.Index], Prev(t));
            if (r.Source == ScanSource.Node && _nodes[r.Index].Onto >= 0) r = new ScanRef(ScanSource.Node, _nodes[r.Index].Onto);
            return r.Source switch
            {
                ScanSource.X => (_xs, t * _op._xShape.Size),
                ScanSource.Carry => (_init[r.Index], 0),
                ScanSource.External => (_ext[r.Index], 0),
                // Kept for every step; or a hoisted map's buffer, which holds every step too; or the one step buffer.
                _ => _op._storedAt[r.Index] >= 0 ? (_op.Stored.Get<T>(0)!, _op._storedAt[r.Index] + t * _nodes[r.Index].Size)
                    : (_scratch[r.Index]!, _nodes[r.Index].Hoisted ? t * _nodes[r.Index].Size : 0),
            };
        }

        // The batch rows [lo, hi) of value r at step t (all of it when r is not split by rows).
        private (T[] Array, int Offset, int Length) Rows(ScanRef r, int t, int lo, int hi)
        {
            var (a, o) = Locate(r, t);
            int row = RowSize(r);
            return row == 0 ? (a, o, ShapeOf(r).Size) : (a, o + lo * row, (hi - lo) * row);
        }

        private ReadOnlySpan<T> Value(ScanRef r, int t, int lo, int hi)
        {
            var (a, o, n) = Rows(r, t, lo, hi);
            return a.AsSpan(o, n);
        }

        // Runs body(lo, hi) over the batch rows: as two halves on two cores, or at once.
        private void ForRows(Action<int, int> body)
        {
            if (!_split)
            {
                body(0, _batch);
                return;
            }
            RowHalves.Split(_batch, body);
        }

        public NDArray Forward()
        {
            _startRow = new T[_nodes.Length][];
            for (int k = 0; k < _nodes.Length; k++)
                if (_nodes[k].Instr is ScanInstr.Affine or ScanInstr.MatMul && Bias(_nodes[k]) is { } own) _startRow[k] = own;
            foreach (var n in _nodes)
                if (n.Onto >= 0 && Bias(_nodes[n.FusedProduct]) is { } more)
                    _startRow[n.Onto] = _startRow[n.Onto] is { } own ? BiasSum(own, more) : more;
            _op.Stored.Rent<T>(0, _op._storedLength);
            for (int k = 0; k < _nodes.Length; k++)
            {
                var n = _nodes[k];
                // A hoisted map not kept for the rule has all steps in its step buffer, read by the forward only.
                if (!n.Stored && !n.Fused && !n.InPlace && n.Onto < 0) _scratch[k] = ArrayPool<T>.Shared.Rent(n.Hoisted ? _steps * n.Size : n.Size);
                // PERF: an affine map of x_t alone, for every step at once: one product over T·B rows.
                if (n.Hoisted) Affine(k, (_xs, 0), _steps * n.Size / n.Shape[-1], Locate(new ScanRef(ScanSource.Node, k), 0), parallel: true);
            }
            try
            {
                for (int s = 0; s < _steps; s++)
                {
                    int t = At(s);
                    ForRows((lo, hi) =>
                    {
                        for (int k = 0; k < _nodes.Length; k++)
                            if (_nodes[k] is { Hoisted: false, Fused: false, InPlace: false }) Evaluate(k, t, lo, hi);
                    });
                }
                int ySize = _op._program.YShape.Size, at = _steps * ySize;
                // PERF: a recycled array (often the cotangent of the last call's value): a new one of ~1 MB is fresh memory
                // for the kernel to fault in and the collector to reclaim.
                var value = NDArray.Empty<T>(Shape.Of(at + _op._carryShapes.Sum(c => c.Size)));
                var packed = value.Array<T>();
                for (int t = 0; t < _steps; t++) Value(_op._program.Y, t, 0, _batch).CopyTo(packed.AsSpan(t * ySize));
                for (int i = 0; i < _op._carryShapes.Length; at += _op._carryShapes[i].Size, i++)
                    Value(_op._program.CarryOut[i], Last, 0, _batch).CopyTo(packed.AsSpan(at));
                return value;
            }
            finally
            {
                // The step buffers (and hoisted projections) are read by later nodes of the forward only.
                foreach (var a in _scratch)
                    if (a is not null) ArrayPool<T>.Shared.Return(a);
            }
        }

        // Node k's value at step t, batch rows [lo, hi).
        private void Evaluate(int k, int t, int lo, int hi)
        {
            var n = _nodes[k];
            var (ya, yo, yn) = Rows(new ScanRef(ScanSource.Node, k), t, lo, hi);
            var y = ya.AsSpan(yo, yn);
            switch (n.Instr)
            {
                case ScanInstr.Affine or ScanInstr.MatMul:
                {
                    var (a, o, _) = Rows(n.Inputs[0], t, lo, hi);
                    Affine(k, (a, o), yn / n.Shape[-1], (ya, yo), parallel: !_split);
                    break;
                }
                case ScanInstr.Add when n.FusedProduct >= 0:
                {
                    // other + (a Wᵀ + b): the bias added to the other operand, then the product accumulated onto it. With
                    // Onto, y is the other operand's buffer, which started from this bias too.
                    var product = _nodes[n.FusedProduct];
                    var other = n.Inputs[n.Inputs[0] == new ScanRef(ScanSource.Node, n.FusedProduct) ? 1 : 0];
                    int outs = n.Shape[-1];
                    if (n.Onto < 0)
                    {
                        var addend = Value(other, t, lo, hi);
                        if (Bias(product) is not { } b) addend.CopyTo(y);
                        else
                            for (int r = 0; r < yn / outs; r++) TensorPrimitives.Add(addend.Slice(r * outs, outs), b.AsSpan(0, outs), y.Slice(r * outs, outs));
                    }
                    var (a, o, _) = Rows(product.Inputs[0], t, lo, hi);
                    Product(product, (a, o), yn / outs, (ya, yo), accumulate: true, parallel: !_split);
                    break;
                }
                case ScanInstr.Add or ScanInstr.Sub or ScanInstr.Mul:
                    Binary(n.Instr, Value(n.Inputs[0], t, lo, hi), Value(n.Inputs[1], t, lo, hi), y, n.Shape[-1]);
                    break;
                case ScanInstr.Neg: Arith.NegK.Apply(Value(n.Inputs[0], t, lo, hi), y, 0); break;
                case ScanInstr.Sigmoid: Map<SigmoidOp.Fwd>(n.Inputs[0], t, lo, hi, y); break;
                case ScanInstr.Tanh: Map<TanhOp.Fwd>(n.Inputs[0], t, lo, hi, y); break;
                case ScanInstr.Relu: Map<ReluOp.Fwd>(n.Inputs[0], t, lo, hi, y); break;
                case ScanInstr.Exp: Map<Arith.ExpK>(n.Inputs[0], t, lo, hi, y); break;
                case ScanInstr.Slice:
                {
                    var x = Value(n.Inputs[0], t, lo, hi);
                    int cols = n.Shape[-1], from = ShapeOf(n.Inputs[0])[-1];
                    for (int r = 0, rows = y.Length / Math.Max(1, cols); r < rows; r++)
                        x.Slice(r * from + n.SliceStart, cols).CopyTo(y.Slice(r * cols));
                    break;
                }
                default: throw new InvalidOperationException($"scan: no forward for {n.Instr}.");
            }
        }

        // An affine map's weight W [out, in] (y = a Wᵀ + b) or a matmul's W [in, out] (y = a W): (out, in, W stored as [out, in]).
        private (int Outs, int Ins, bool OutsFirst) Weight(ScanNode n)
        {
            var w = _extShapes[n.Inputs[1].Index];
            return n.Instr == ScanInstr.Affine ? (w[0], w[1], true) : (w[1], w[0], false);
        }

        // y = a Wᵀ + b (or a W) over `rows` rows of a, as AffineOp.Forward and MatMulOp do; b is the start row of node k.
        private void Affine(int k, (T[] Array, int Offset) a, int rows, (T[] Array, int Offset) y, bool parallel)
        {
            var start = _startRow[k];
            int outs = Weight(_nodes[k]).Outs;
            if (start is not null)
                for (int r = 0; r < rows; r++) start.AsSpan(0, outs).CopyTo(y.Array.AsSpan(y.Offset + r * outs, outs));
            Product(_nodes[k], a, rows, y, accumulate: start is not null, parallel);
        }

        // An affine map's bias, or null.
        private T[]? Bias(ScanNode n) => n.Instr == ScanInstr.Affine && n.Inputs.Length == 3 ? _ext[n.Inputs[2].Index] : null;

        private static T[] BiasSum(T[] a, T[] b)
        {
            var s = new T[a.Length];
            TensorPrimitives.Add(a, b, s);
            return s;
        }

        // y = a Wᵀ (or a W), or y += that.
        private void Product(ScanNode n, (T[] Array, int Offset) a, int rows, (T[] Array, int Offset) y, bool accumulate, bool parallel)
        {
            var (outs, ins, outsFirst) = Weight(n);
            Tensors.Gemm.Multiply(false, outsFirst, rows, outs, ins, a.Array, a.Offset, _ext[n.Inputs[1].Index], 0, y.Array, y.Offset,
                accumulate: accumulate, cacheB: true, parallel: parallel);
        }
    }
}
