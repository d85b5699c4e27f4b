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
/// step by step. Only the values the rule reads are kept for every step (an activation's output, a product's
/// factors, an affine map's input, the carry); the rest live in one buffer per node, reused at every step.</para>
/// <para>Derivative: the steps in reverse, each node's cotangent in one buffer reused at every step; a weight's
/// cotangent is Σ_t g_tᵀ a_t, one product per contiguous run of a_t after the loop, as the fused layers do.</para>
/// </summary>
internal sealed class CompiledScanOp : Primitive
{
    private readonly ScanProgram _program;
    private readonly int _steps;
    private readonly bool _reverse;
    private readonly Shape _xShape;
    private readonly Shape[] _carryShapes;
    private readonly Array?[] _stored; // per node: its value at every step [T · size], for the nodes the rule reads

    private CompiledScanOp(ScanProgram program, Tensor xs, IReadOnlyList<Tensor> init, bool reverse)
    {
        _program = program;
        _steps = xs.Shape[0];
        _reverse = reverse;
        _xShape = xs.Shape.RemoveAxis(0);
        _carryShapes = init.Select(c => c.Shape).ToArray();
        _stored = new Array?[program.Nodes.Length];
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
            final[i] = Ops.Reshape(Ops.Slice(node, 0, at, at + init[i].Size), init[i].Shape.ToArray());
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
        private readonly CompiledScanOp _op;
        private readonly ScanNode[] _nodes;
        private readonly T[] _xs;
        private readonly T[][] _init, _ext;
        private readonly Shape[] _extShapes;
        private readonly T[]?[] _scratch; // a node's value within one step, when it is not kept for every step
        private readonly int _steps;

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

        // Where the value r of step t lives: an array and the offset of its first element.
        private (T[] Array, int Offset) Locate(ScanRef r, int t)
        {
            while (r.Source == ScanSource.Carry && t != First) (r, t) = (_op._program.CarryOut[r.Index], Prev(t));
            return r.Source switch
            {
                ScanSource.X => (_xs, t * _op._xShape.Size),
                ScanSource.Carry => (_init[r.Index], 0),
                ScanSource.External => (_ext[r.Index], 0),
                _ => _op._stored[r.Index] is T[] kept ? (kept, t * _nodes[r.Index].Size) : (_scratch[r.Index]!, 0),
            };
        }

        private ReadOnlySpan<T> Value(ScanRef r, int t)
        {
            var (a, o) = Locate(r, t);
            return a.AsSpan(o, ShapeOf(r).Size);
        }

        public NDArray Forward()
        {
            var hoisted = new T[]?[_nodes.Length];
            for (int k = 0; k < _nodes.Length; k++)
            {
                var n = _nodes[k];
                if (n.Stored) _op._stored[k] = GC.AllocateUninitializedArray<T>(_steps * n.Size);
                else if (n.Hoisted) _op._stored[k] = hoisted[k] = ArrayPool<T>.Shared.Rent(_steps * n.Size);
                else _scratch[k] = GC.AllocateUninitializedArray<T>(n.Size);
                // PERF: an affine map of x_t alone, for every step at once: one product over T·B rows.
                if (n.Hoisted) Affine(n, (_xs, 0), _steps * n.Size / n.Shape[-1], ((T[])_op._stored[k]!, 0));
            }
            try
            {
                for (int s = 0; s < _steps; s++)
                {
                    int t = At(s);
                    for (int k = 0; k < _nodes.Length; k++)
                        if (!_nodes[k].Hoisted) Evaluate(_nodes[k], t, Locate(new ScanRef(ScanSource.Node, k), t));
                }
                int ySize = _op._program.YShape.Size, at = _steps * ySize;
                var packed = GC.AllocateUninitializedArray<T>(at + _op._carryShapes.Sum(c => c.Size));
                for (int t = 0; t < _steps; t++) Value(_op._program.Y, t).CopyTo(packed.AsSpan(t * ySize));
                for (int i = 0; i < _op._carryShapes.Length; at += _op._carryShapes[i].Size, i++)
                    Value(_op._program.CarryOut[i], Last).CopyTo(packed.AsSpan(at));
                return new NDArray(Shape.Of(packed.Length), packed);
            }
            finally
            {
                // The pooled projections are read by later nodes of the forward only.
                for (int k = 0; k < _nodes.Length; k++)
                    if (hoisted[k] is { } h)
                    {
                        ArrayPool<T>.Shared.Return(h);
                        _op._stored[k] = null;
                    }
            }
        }

        private void Evaluate(ScanNode n, int t, (T[] Array, int Offset) into)
        {
            var y = into.Array.AsSpan(into.Offset, n.Size);
            switch (n.Instr)
            {
                case ScanInstr.Affine or ScanInstr.MatMul:
                    Affine(n, Locate(n.Inputs[0], t), n.Size / n.Shape[-1], into);
                    break;
                case ScanInstr.Add or ScanInstr.Sub or ScanInstr.Mul:
                    Binary(n.Instr, Value(n.Inputs[0], t), Value(n.Inputs[1], t), y, n.Shape[-1]);
                    break;
                case ScanInstr.Neg: TensorPrimitives.Negate(Value(n.Inputs[0], t), y); break;
                case ScanInstr.Sigmoid: SigmoidOp.Fwd.Apply(Value(n.Inputs[0], t), y, 0); break;
                case ScanInstr.Tanh: TanhOp.Fwd.Apply(Value(n.Inputs[0], t), y, 0); break;
                case ScanInstr.Relu: ReluOp.Fwd.Apply(Value(n.Inputs[0], t), y, 0); break;
                case ScanInstr.Exp: TensorPrimitives.Exp(Value(n.Inputs[0], t), y); break;
                case ScanInstr.Slice:
                {
                    var x = Value(n.Inputs[0], t);
                    int cols = n.Shape[-1], from = ShapeOf(n.Inputs[0])[-1];
                    for (int r = 0, rows = n.Size / Math.Max(1, cols); r < rows; r++)
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
        private void Affine(ScanNode n, (T[] Array, int Offset) a, int rows, (T[] Array, int Offset) y)
        {
            var (outs, ins, outsFirst) = Weight(n);
            bool bias = n.Inputs.Length == 3;
            if (bias)
            {
                var b = _ext[n.Inputs[2].Index].AsSpan(0, outs);
                for (int r = 0; r < rows; r++) b.CopyTo(y.Array.AsSpan(y.Offset + r * outs, outs));
            }
            Tensors.Gemm.Multiply(false, outsFirst, rows, outs, ins, a.Array, a.Offset, _ext[n.Inputs[1].Index], 0, y.Array, y.Offset,
                accumulate: bias, cacheB: true);
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

        private T[][] _cot = null!;       // a node's cotangent within one step
        private bool[] _has = null!;      // whether _cot[k] holds anything this step
        private T[][] _carryIn = null!, _carryOut = null!; // cotangents of the carry into the later step / into this one
        private bool[] _carryInHas = null!, _carryOutHas = null!;
        private T[] _gxs = null!;
        private T[][] _gExt = null!;

        public NDArray?[] Backward(T[] gy)
        {
            var p = _op._program;
            int carries = _op._carryShapes.Length, ySize = p.YShape.Size;
            _cot = _nodes.Select(n => new T[n.Size]).ToArray();
            _has = new bool[_nodes.Length];
            _carryIn = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryOut = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryInHas = new bool[carries];
            _carryOutHas = new bool[carries];
            _gxs = new T[_steps * _op._xShape.Size];
            _gExt = _extShapes.Select(s => new T[s.Size]).ToArray();
            // The final carry's cotangent enters the last step processed.
            for (int i = 0, at = _steps * ySize; i < carries; at += _carryIn[i].Length, i++)
            {
                gy.AsSpan(at, _carryIn[i].Length).CopyTo(_carryIn[i]);
                _carryInHas[i] = true;
            }
            // Each affine map's cotangent at every step, for its weight's (and a hoisted map's input's) one product after the loop.
            var perStep = new T[]?[_nodes.Length];
            for (int k = 0; k < _nodes.Length; k++)
                if (_nodes[k].Instr is ScanInstr.Affine or ScanInstr.MatMul) perStep[k] = ArrayPool<T>.Shared.Rent(_steps * _nodes[k].Size);
            var tmp = new T[_nodes.Length == 0 ? 0 : _nodes.Max(n => n.Size)];
            try
            {
                for (int s = _steps - 1; s >= 0; s--)
                {
                    int t = At(s);
                    Array.Clear(_has);
                    Array.Clear(_carryOutHas);
                    for (int i = 0; i < carries; i++)
                        if (_carryInHas[i]) Contribute(p.CarryOut[i], t, _carryIn[i]);
                    Contribute(p.Y, t, gy.AsSpan(t * ySize, ySize));
                    for (int k = _nodes.Length - 1; k >= 0; k--)
                        if (_has[k]) Propagate(k, t, tmp, perStep[k]);
                    (_carryIn, _carryOut) = (_carryOut, _carryIn);
                    (_carryInHas, _carryOutHas) = (_carryOutHas, _carryInHas);
                }
                for (int k = 0; k < _nodes.Length; k++)
                    if (perStep[k] is { } g) AffineAfterLoop(_nodes[k], g);
            }
            finally
            {
                foreach (var g in perStep)
                    if (g is not null) ArrayPool<T>.Shared.Return(g);
            }
            var result = new NDArray?[1 + carries + _ext.Length];
            result[0] = new NDArray(_op._xShape.InsertAxis(0, _steps), _gxs);
            for (int i = 0; i < carries; i++)
                result[1 + i] = _carryInHas[i] ? new NDArray(_op._carryShapes[i], _carryIn[i]) : null;
            for (int j = 0; j < _ext.Length; j++) result[1 + carries + j] = new NDArray(_extShapes[j], _gExt[j]);
            return result;
        }

        // Node k's rule at step t: its cotangent _cot[k] into its inputs' cotangents.
        private void Propagate(int k, int t, T[] tmpArray, T[]? perStep)
        {
            var n = _nodes[k];
            ReadOnlySpan<T> g = _cot[k];
            var tmp = tmpArray.AsSpan(0, n.Size);
            int cols = n.Shape[-1];
            switch (n.Instr)
            {
                case ScanInstr.Affine or ScanInstr.MatMul:
                    g.CopyTo(perStep.AsSpan(t * n.Size));
                    if (!n.Hoisted)
                    {
                        // g_a = g W (g Wᵀ for a matmul), straight into a's cotangent.
                        var (outs, ins, outsFirst) = Weight(n);
                        var (into, offset, add) = Target(n.Inputs[0], t);
                        if (into is not null)
                            Tensors.Gemm.Multiply(false, !outsFirst, n.Size / outs, ins, outs, _cot[k], 0, _ext[n.Inputs[1].Index], 0, into, offset,
                                accumulate: add, cacheB: true);
                    }
                    break;
                case ScanInstr.Add:
                    Contribute(n.Inputs[0], t, g);
                    Contribute(n.Inputs[1], t, g);
                    break;
                case ScanInstr.Sub:
                    Contribute(n.Inputs[0], t, g);
                    TensorPrimitives.Negate(g, tmp);
                    Contribute(n.Inputs[1], t, tmp);
                    break;
                case ScanInstr.Mul:
                    Binary(ScanInstr.Mul, g, Value(n.Inputs[1], t), tmp, cols);
                    Contribute(n.Inputs[0], t, tmp);
                    Binary(ScanInstr.Mul, g, Value(n.Inputs[0], t), tmp, cols);
                    Contribute(n.Inputs[1], t, tmp);
                    break;
                case ScanInstr.Neg:
                    TensorPrimitives.Negate(g, tmp);
                    Contribute(n.Inputs[0], t, tmp);
                    break;
                case ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu:
                    Activation(n.Instr, Value(new ScanRef(ScanSource.Node, k), t), g, tmp);
                    Contribute(n.Inputs[0], t, tmp);
                    break;
                case ScanInstr.Slice:
                {
                    var (into, offset, add) = Target(n.Inputs[0], t);
                    if (into is null) break;
                    int from = ShapeOf(n.Inputs[0])[-1], rows = n.Size / Math.Max(1, cols);
                    var whole = into.AsSpan(offset, rows * from);
                    if (!add) whole.Clear();
                    for (int r = 0; r < rows; r++)
                    {
                        var part = whole.Slice(r * from + n.SliceStart, cols);
                        TensorPrimitives.Add(part, g.Slice(r * cols, cols), part);
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

        // The cotangent buffer of value r at step t, and whether to add into it (false: it is empty and may be overwritten);
        // null for an external that is a constant of the step's own making (it gets no cotangent).
        private (T[]? Array, int Offset, bool Add) Target(ScanRef r, int t)
        {
            switch (r.Source)
            {
                case ScanSource.Node:
                {
                    bool add = _has[r.Index];
                    _has[r.Index] = true;
                    return (_cot[r.Index], 0, add);
                }
                case ScanSource.Carry:
                {
                    bool add = _carryOutHas[r.Index];
                    _carryOutHas[r.Index] = true;
                    return (_carryOut[r.Index], 0, add);
                }
                case ScanSource.X: return (_gxs, t * _op._xShape.Size, true);
                default: return (_gExt[r.Index], 0, true);
            }
        }

        // Adds g (shaped like the node that uses r) into r's cotangent at step t, summed over the axes r was broadcast along.
        private void Contribute(ScanRef r, int t, ReadOnlySpan<T> g)
        {
            var (into, offset, add) = Target(r, t);
            if (into is null) return;
            int size = ShapeOf(r).Size;
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
                for (int row = 0; row < g.Length / size; row++) TensorPrimitives.Add(dst, g.Slice(row * size, size), dst);
            }
        }

        // After the loop: g_W = Σ_t g_tᵀ a_t (a_tᵀ g_t for a matmul; one product per run of steps whose a_t lie one after another in one array),
        // g_b = Σ g over every row of every step, and for a map of x_t itself g_xs = G W in one product.
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
