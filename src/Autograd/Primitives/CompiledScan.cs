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
internal sealed class CompiledScanOp : Primitive
{
    private readonly ScanProgram _program;
    private readonly int _steps;
    private readonly bool _reverse;
    private readonly Shape _xShape;
    private readonly Shape[] _carryShapes;
    // PERF: every value kept for the rule in one pooled array (one rent per call: the pool refills only as finalizers run).
    private readonly Residuals _stored = new(1);
    private readonly int[] _storedAt;   // per node: where its values [T · size] start in that array, or −1 if not kept

    private CompiledScanOp(ScanProgram program, Tensor xs, IReadOnlyList<Tensor> init, bool reverse)
    {
        _program = program;
        _steps = xs.Shape[0];
        _reverse = reverse;
        _xShape = xs.Shape.RemoveAxis(0);
        _carryShapes = init.Select(c => c.Shape).ToArray();
        _storedAt = new int[program.Nodes.Length];
        for (int k = 0, at = 0; k < _storedAt.Length; k++)
            (_storedAt[k], at) = program.Nodes[k].Stored ? (at, at + _steps * program.Nodes[k].Size) : (-1, at);
    }

    public override string Name => "scan";
    public override string Attributes => $"steps={_steps}, body={_program.Nodes.Length} ops{(_reverse ? ", reverse" : "")}";

    /// <summary>Runs the program over xs from <paramref name="init"/> and records the node: the final carry tensors
    /// and the stacked outputs, each a slice of its value.</summary>
    internal static (Tensor[] Final, Tensor Ys) Record(ScanProgram program, Tensor xs, IReadOnlyList<Tensor> init, bool reverse)
    {
        var op = new CompiledScanOp(program, xs, init, reverse);
        Tensor[] inputs = [xs, .. init, .. program.Externals];
        var value = xs.DType == DType.Float32 ? new Run<float>(op, inputs).Forward() : new Run<double>(op, inputs).Forward();
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

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var inputs = new Tensor[y.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = y.Input(i);
        return gy.DType == DType.Float32 ? new Run<float>(this, inputs).Backward(gy.Array<float>()) : new Run<double>(this, inputs).Backward(gy.Array<double>());
    }

    /// <summary>One forward or backward pass over the program, in dtype <typeparamref name="T"/>.</summary>
    private sealed class Run<T> where T : unmanaged, IFloatingPointIeee754<T>
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
            return r.Source switch
            {
                ScanSource.X => (_xs, t * _op._xShape.Size),
                ScanSource.Carry => (_init[r.Index], 0),
                ScanSource.External => (_ext[r.Index], 0),
                _ => _op._storedAt[r.Index] >= 0 ? (_op._stored.Get<T>(0)!, _op._storedAt[r.Index] + t * _nodes[r.Index].Size)
                    : _scratch[r.Index] is { } step && _nodes[r.Index].Hoisted ? (step, t * _nodes[r.Index].Size) : (_scratch[r.Index]!, 0),
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
            int half = (_batch / 2 + 7) & ~7; // a multiple of the 8-row micro-tile
            Parallel.Invoke(() => body(0, half), () => body(half, _batch));
        }

        public NDArray Forward()
        {
            int kept = _nodes.Select((n, k) => _op._storedAt[k] >= 0 ? _op._storedAt[k] + _steps * n.Size : 0).DefaultIfEmpty(0).Max();
            _op._stored.Rent<T>(0, kept);
            for (int k = 0; k < _nodes.Length; k++)
            {
                var n = _nodes[k];
                // A hoisted map not kept for the rule has all steps in its step buffer, read by the forward only.
                if (!n.Stored && !n.Fused) _scratch[k] = ArrayPool<T>.Shared.Rent(n.Hoisted ? _steps * n.Size : n.Size);
                // PERF: an affine map of x_t alone, for every step at once: one product over T·B rows.
                if (n.Hoisted) Affine(n, (_xs, 0), _steps * n.Size / n.Shape[-1], Locate(new ScanRef(ScanSource.Node, k), 0), parallel: true);
            }
            try
            {
                for (int s = 0; s < _steps; s++)
                {
                    int t = At(s);
                    ForRows((lo, hi) =>
                    {
                        for (int k = 0; k < _nodes.Length; k++)
                            if (!_nodes[k].Hoisted && !_nodes[k].Fused) Evaluate(k, t, lo, hi);
                    });
                }
                int ySize = _op._program.YShape.Size, at = _steps * ySize;
                var packed = GC.AllocateUninitializedArray<T>(at + _op._carryShapes.Sum(c => c.Size));
                for (int t = 0; t < _steps; t++) Value(_op._program.Y, t, 0, _batch).CopyTo(packed.AsSpan(t * ySize));
                for (int i = 0; i < _op._carryShapes.Length; at += _op._carryShapes[i].Size, i++)
                    Value(_op._program.CarryOut[i], Last, 0, _batch).CopyTo(packed.AsSpan(at));
                return new NDArray(Shape.Of(packed.Length), packed);
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
                    Affine(n, (a, o), yn / n.Shape[-1], (ya, yo), parallel: !_split);
                    break;
                }
                case ScanInstr.Add when n.FusedProduct >= 0:
                {
                    // other + (a Wᵀ + b): the bias added to the other operand, then the product accumulated onto it.
                    var product = _nodes[n.FusedProduct];
                    var other = n.Inputs[n.Inputs[0] == new ScanRef(ScanSource.Node, n.FusedProduct) ? 1 : 0];
                    var addend = Value(other, t, lo, hi);
                    int outs = n.Shape[-1];
                    if (product.Inputs.Length == 3)
                    {
                        var b = _ext[product.Inputs[2].Index].AsSpan(0, outs);
                        for (int r = 0; r < yn / outs; r++) TensorPrimitives.Add(addend.Slice(r * outs, outs), b, y.Slice(r * outs, outs));
                    }
                    else addend.CopyTo(y);
                    var (a, o, _) = Rows(product.Inputs[0], t, lo, hi);
                    Product(product, (a, o), yn / outs, (ya, yo), accumulate: true, parallel: !_split);
                    break;
                }
                case ScanInstr.Add or ScanInstr.Sub or ScanInstr.Mul:
                    Binary(n.Instr, Value(n.Inputs[0], t, lo, hi), Value(n.Inputs[1], t, lo, hi), y, n.Shape[-1]);
                    break;
                case ScanInstr.Neg: TensorPrimitives.Negate(Value(n.Inputs[0], t, lo, hi), y); break;
                case ScanInstr.Sigmoid: SigmoidOp.Fwd.Apply(Value(n.Inputs[0], t, lo, hi), y, 0); break;
                case ScanInstr.Tanh: TanhOp.Fwd.Apply(Value(n.Inputs[0], t, lo, hi), y, 0); break;
                case ScanInstr.Relu: ReluOp.Fwd.Apply(Value(n.Inputs[0], t, lo, hi), y, 0); break;
                case ScanInstr.Exp: TensorPrimitives.Exp(Value(n.Inputs[0], t, lo, hi), y); break;
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

        // y = a Wᵀ + b (or a W) over `rows` rows of a, as AffineOp.Forward and MatMulOp do.
        private void Affine(ScanNode n, (T[] Array, int Offset) a, int rows, (T[] Array, int Offset) y, bool parallel)
        {
            int outs = Weight(n).Outs;
            bool bias = n.Inputs.Length == 3;
            if (bias)
            {
                var b = _ext[n.Inputs[2].Index].AsSpan(0, outs);
                for (int r = 0; r < rows; r++) b.CopyTo(y.Array.AsSpan(y.Offset + r * outs, outs));
            }
            Product(n, a, rows, y, accumulate: bias, parallel);
        }

        // y = a Wᵀ (or a W), or y += that.
        private void Product(ScanNode n, (T[] Array, int Offset) a, int rows, (T[] Array, int Offset) y, bool accumulate, bool parallel)
        {
            var (outs, ins, outsFirst) = Weight(n);
            Tensors.Gemm.Multiply(false, outsFirst, rows, outs, ins, a.Array, a.Offset, _ext[n.Inputs[1].Index], 0, y.Array, y.Offset,
                accumulate: accumulate, cacheB: true, parallel: parallel);
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

        // ---- the derivative ----

        /// <summary>What one half of the batch (or the whole) writes on its own during the reverse loop.</summary>
        private sealed class Part(int nodes, int carries, int scratch, T[][] gExt)
        {
            public readonly bool[] Has = new bool[nodes];            // whether a node's cotangent holds anything this step
            public readonly bool[] CarryHas = new bool[carries];     // whether a carry's cotangent into this step does
            public readonly T[] Tmp = ArrayPool<T>.Shared.Rent(scratch); // returned by Backward
            public readonly T[][] GExt = gExt;                        // cotangents of the externals used inside the step
        }

        private T[]?[] _cot = null!;                       // a node's cotangent within one step (rows split between parts),
        private T[]?[] _cotSteps = null!;                  // or at every step ([T · size], CotangentPerStep), or none (CotangentOf)
        private T[][] _carryIn = null!, _carryOut = null!; // cotangents of the carry into the later step / into this one
        private bool[] _carryInHas = null!;
        private T[] _gxs = null!;
        private T[][] _gExt = null!;

        public NDArray?[] Backward(T[] gy)
        {
            var p = _op._program;
            int carries = _op._carryShapes.Length, ySize = p.YShape.Size;
            _cot = _nodes.Select(n => n.CotangentPerStep || n.CotangentOf >= 0 ? null : ArrayPool<T>.Shared.Rent(n.Size)).ToArray();
            _cotSteps = new T[]?[_nodes.Length];
            _carryIn = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryOut = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryInHas = new bool[carries];
            _gxs = new T[_steps * _op._xShape.Size];
            _gExt = _extShapes.Select(s => new T[s.Size]).ToArray();
            int scratch = _nodes.Length == 0 ? 0 : _nodes.Max(n => n.Size);
            // The second half sums its externals' cotangents apart, added in at the end: the result does not depend on timing.
            Part[] parts = _split
                ? [new Part(_nodes.Length, carries, scratch, _gExt), new Part(_nodes.Length, carries, scratch, _extShapes.Select(s => new T[s.Size]).ToArray())]
                : [new Part(_nodes.Length, carries, scratch, _gExt)];
            // The final carry's cotangent enters the last step processed.
            for (int i = 0, at = _steps * ySize; i < carries; at += _carryIn[i].Length, i++)
            {
                gy.AsSpan(at, _carryIn[i].Length).CopyTo(_carryIn[i]);
                _carryInHas[i] = true;
            }
            // Each product's cotangent at every step, for its weight's (and a hoisted map's input's) one product after the loop.
            for (int k = 0; k < _nodes.Length; k++)
                if (_nodes[k].CotangentPerStep) _cotSteps[k] = ArrayPool<T>.Shared.Rent(_steps * _nodes[k].Size);
            try
            {
                for (int s = _steps - 1; s >= 0; s--)
                {
                    int t = At(s);
                    ForRows((lo, hi) =>
                    {
                        var part = parts[lo == 0 ? 0 : 1];
                        Array.Clear(part.Has);
                        Array.Clear(part.CarryHas);
                        for (int i = 0; i < carries; i++)
                            if (_carryInHas[i]) Contribute(p.CarryOut[i], t, lo, hi, part, Slice(_carryIn[i], RowSize(new ScanRef(ScanSource.Carry, i)), lo, hi));
                        int yRow = RowSize(p.Y);
                        Contribute(p.Y, t, lo, hi, part, gy.AsSpan(t * ySize + lo * yRow, yRow == 0 ? ySize : (hi - lo) * yRow));
                        for (int k = _nodes.Length - 1; k >= 0; k--)
                            if (part.Has[k]) Propagate(k, t, lo, hi, part);
                    });
                    (_carryIn, _carryOut) = (_carryOut, _carryIn);
                    Array.Copy(parts[0].CarryHas, _carryInHas, carries);
                }
                if (_split)
                    for (int j = 0; j < _gExt.Length; j++) TensorPrimitives.Add(_gExt[j], parts[1].GExt[j], _gExt[j]);
                for (int k = 0; k < _nodes.Length; k++)
                    if (_nodes[k].Instr is ScanInstr.Affine or ScanInstr.MatMul)
                        AffineAfterLoop(_nodes[k], _cotSteps[_nodes[k].CotangentOf >= 0 ? _nodes[k].CotangentOf : k]!);
            }
            finally
            {
                foreach (var g in _cotSteps.Concat(_cot).Concat(parts.Select(q => q.Tmp)))
                    if (g is not null) ArrayPool<T>.Shared.Return(g);
            }
            var result = new NDArray?[1 + carries + _ext.Length];
            result[0] = new NDArray(_op._xShape.InsertAxis(0, _steps), _gxs);
            for (int i = 0; i < carries; i++)
                result[1 + i] = _carryInHas[i] ? new NDArray(_op._carryShapes[i], _carryIn[i]) : null;
            for (int j = 0; j < _ext.Length; j++) result[1 + carries + j] = new NDArray(_extShapes[j], _gExt[j]);
            return result;
        }

        private static ReadOnlySpan<T> Slice(T[] whole, int row, int lo, int hi) => row == 0 ? whole : whole.AsSpan(lo * row, (hi - lo) * row);

        // Where node k's cotangent for batch rows from `lo` lives at step t: its own buffer, or the add's it shares.
        private (T[] Array, int Offset) Cotangent(int k, int t, int lo)
        {
            int row = RowSize(new ScanRef(ScanSource.Node, k)), at = row == 0 ? 0 : lo * row;
            if (_nodes[k].CotangentOf >= 0) k = _nodes[k].CotangentOf;
            return _nodes[k].CotangentPerStep ? (_cotSteps[k]!, t * _nodes[k].Size + at) : (_cot[k]!, at);
        }

        // Node k's rule at step t over batch rows [lo, hi): its cotangent into its inputs' cotangents.
        private void Propagate(int k, int t, int lo, int hi, Part part)
        {
            var n = _nodes[k];
            int row = RowSize(new ScanRef(ScanSource.Node, k));
            int len = row == 0 ? n.Size : (hi - lo) * row;
            var (ga, go) = Cotangent(k, t, lo);
            ReadOnlySpan<T> g = ga.AsSpan(go, len);
            var tmp = part.Tmp.AsSpan(0, len);
            int cols = n.Shape[-1];
            switch (n.Instr)
            {
                case ScanInstr.Affine or ScanInstr.MatMul:
                    if (!n.Hoisted)
                    {
                        // g_a = g W (g Wᵀ for a matmul), straight into a's cotangent.
                        var (outs, ins, outsFirst) = Weight(n);
                        var (into, offset, add) = Target(n.Inputs[0], t, lo, hi, part);
                        if (into is not null)
                            Tensors.Gemm.Multiply(false, !outsFirst, len / outs, ins, outs, ga, go, _ext[n.Inputs[1].Index], 0, into, offset,
                                accumulate: add, cacheB: true, parallel: !_split);
                    }
                    break;
                case ScanInstr.Add:
                    foreach (var r in n.Inputs)
                        if (r.Source == ScanSource.Node && _nodes[r.Index].CotangentOf == k) part.Has[r.Index] = true; // reads g in place
                        else Contribute(r, t, lo, hi, part, g);
                    break;
                case ScanInstr.Sub:
                    Contribute(n.Inputs[0], t, lo, hi, part, g);
                    TensorPrimitives.Negate(g, tmp);
                    Contribute(n.Inputs[1], t, lo, hi, part, tmp);
                    break;
                case ScanInstr.Mul:
                    Binary(ScanInstr.Mul, g, Value(n.Inputs[1], t, lo, hi), tmp, cols);
                    Contribute(n.Inputs[0], t, lo, hi, part, tmp);
                    Binary(ScanInstr.Mul, g, Value(n.Inputs[0], t, lo, hi), tmp, cols);
                    Contribute(n.Inputs[1], t, lo, hi, part, tmp);
                    break;
                case ScanInstr.Neg:
                    TensorPrimitives.Negate(g, tmp);
                    Contribute(n.Inputs[0], t, lo, hi, part, tmp);
                    break;
                case ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu:
                {
                    // PERF: the first cotangent of a same-shaped input is written in place, not through the scratch buffer.
                    var y = Value(new ScanRef(ScanSource.Node, k), t, lo, hi);
                    var (into, offset, add) = Target(n.Inputs[0], t, lo, hi, part, probe: true);
                    if (into is not null && !add && RowSize(n.Inputs[0]) == row && ShapeOf(n.Inputs[0]).Size == n.Size)
                    {
                        Activation(n.Instr, y, g, into.AsSpan(offset, len));
                        Target(n.Inputs[0], t, lo, hi, part); // marks it written
                    }
                    else
                    {
                        Activation(n.Instr, y, g, tmp);
                        Contribute(n.Inputs[0], t, lo, hi, part, tmp);
                    }
                    break;
                }
                case ScanInstr.Slice:
                {
                    var (into, offset, add) = Target(n.Inputs[0], t, lo, hi, part);
                    if (into is null) break;
                    int from = ShapeOf(n.Inputs[0])[-1], rows = len / Math.Max(1, cols);
                    var whole = into.AsSpan(offset, rows * from);
                    if (!add) whole.Clear();
                    for (int r = 0; r < rows; r++)
                    {
                        var piece = whole.Slice(r * from + n.SliceStart, cols);
                        TensorPrimitives.Add(piece, g.Slice(r * cols, cols), piece);
                    }
                    break;
                }
                default: throw new InvalidOperationException($"scan: no rule for {n.Instr}.");
            }
        }

        // g_x of an activation from its output y, as the primitives' rules: σ: g·y·(1 − y), tanh: g·(1 − y²), exp: g·y, relu: g·[y > 0].
        private static void Activation(ScanInstr op, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> gx)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && y.Length >= Vector<T>.Count)
            {
                var ys = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(y);
                var gs = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(g);
                var outs = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(gx);
                for (int v = 0; v < ys.Length; v++)
                    outs[v] = op switch
                    {
                        ScanInstr.Sigmoid => gs[v] * ys[v] * (Vector<T>.One - ys[v]),
                        ScanInstr.Tanh => gs[v] * (Vector<T>.One - ys[v] * ys[v]),
                        ScanInstr.Exp => gs[v] * ys[v],
                        _ => Vector.ConditionalSelect(Vector.GreaterThan(ys[v], Vector<T>.Zero), gs[v], Vector<T>.Zero),
                    };
                i = ys.Length * Vector<T>.Count;
            }
            for (; i < y.Length; i++)
                gx[i] = op switch
                {
                    ScanInstr.Sigmoid => g[i] * y[i] * (T.One - y[i]),
                    ScanInstr.Tanh => g[i] * (T.One - y[i] * y[i]),
                    ScanInstr.Exp => g[i] * y[i],
                    _ => y[i] > T.Zero ? g[i] : T.Zero,
                };
        }

        // The cotangent buffer of value r's batch rows [lo, hi) at step t, and whether to add into it (false: nothing
        // is there yet, so it may be overwritten). Unless probing, the buffer counts as written from now on.
        private (T[]? Array, int Offset, bool Add) Target(ScanRef r, int t, int lo, int hi, Part part, bool probe = false)
        {
            int row = RowSize(r), at = row == 0 ? 0 : lo * row;
            switch (r.Source)
            {
                case ScanSource.Node:
                {
                    bool add = part.Has[r.Index];
                    if (!probe) part.Has[r.Index] = true;
                    var (a, o) = Cotangent(r.Index, t, lo);
                    return (a, o, add);
                }
                case ScanSource.Carry:
                {
                    bool add = part.CarryHas[r.Index];
                    if (!probe) part.CarryHas[r.Index] = true;
                    return (_carryOut[r.Index], at, add);
                }
                case ScanSource.X: return (_gxs, t * _op._xShape.Size + at, true);
                default: return (part.GExt[r.Index], 0, true);
            }
        }

        // Adds g (the using node's rows [lo, hi)) into r's cotangent at step t, summed over the axes r was broadcast along.
        private void Contribute(ScanRef r, int t, int lo, int hi, Part part, ReadOnlySpan<T> g)
        {
            var (into, offset, add) = Target(r, t, lo, hi, part);
            if (into is null) return;
            int row = RowSize(r), size = row == 0 ? ShapeOf(r).Size : (hi - lo) * row;
            var dst = into.AsSpan(offset, size);
            if (size == g.Length)
            {
                if (add) TensorPrimitives.Add(dst, g, dst);
                else g.CopyTo(dst);
            }
            else if (size == 1) dst[0] = (add ? dst[0] : T.Zero) + TensorPrimitives.Sum(g);
            else
            {
                if (!add) dst.Clear();
                for (int i = 0; i < g.Length / size; i++) TensorPrimitives.Add(dst, g.Slice(i * size, size), dst);
            }
        }

        // After the loop: g_W = Σ_t g_tᵀ a_t (a_tᵀ g_t for a matmul; one product per run of steps whose a_t lie one after
        // another in one array), g_b = Σ g over every row of every step, and for a map of x_t itself g_xs = G W in one product.
        private void AffineAfterLoop(ScanNode n, T[] perStep)
        {
            int wi = n.Inputs[1].Index;
            var (outs, ins, outsFirst) = Weight(n);
            int rows = n.Size / outs;
            var a = n.Inputs[0];
            int aSize = ShapeOf(a).Size;
            for (int t0 = 0; t0 < _steps;)
            {
                var (arr, off) = Locate(a, t0);
                int t1 = t0 + 1;
                while (t1 < _steps && Locate(a, t1) is var (arr1, off1) && ReferenceEquals(arr1, arr) && off1 == off + (t1 - t0) * aSize) t1++;
                int run = (t1 - t0) * rows;
                if (outsFirst) Tensors.Gemm.Multiply(true, false, outs, ins, run, perStep, t0 * n.Size, arr, off, _gExt[wi], 0, accumulate: true);
                else Tensors.Gemm.Multiply(true, false, ins, outs, run, arr, off, perStep, t0 * n.Size, _gExt[wi], 0, accumulate: true);
                t0 = t1;
            }
            if (n.Inputs.Length == 3)
            {
                var gb = _gExt[n.Inputs[2].Index].AsSpan(0, outs);
                for (int r = 0; r < _steps * rows; r++) TensorPrimitives.Add(gb, perStep.AsSpan(r * outs, outs), gb);
            }
            if (n.Hoisted)
                Tensors.Gemm.Multiply(false, !outsFirst, _steps * rows, ins, outs, perStep, 0, _ext[wi], 0, _gxs, 0, accumulate: true, cacheB: true);
        }
    }
}
