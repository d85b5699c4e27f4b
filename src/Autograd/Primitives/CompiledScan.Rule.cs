using System.Buffers;
using System.Numerics.Tensors;

namespace Autograd;

// The derivative of the compiled scan: the steps in reverse over per-node cotangent buffers (see CompiledScanOp).
internal sealed partial class CompiledScanOp
{
    private sealed partial class Run<T>
    {
        /// <summary>What one half of the batch (or the whole) writes on its own during the reverse loop.</summary>
        private sealed class Part(int nodes, int carries, int scratch, T[][] gExt)
        {
            public readonly bool[] Has = new bool[nodes];            // whether a node's cotangent holds anything this step
            public readonly bool[] Done = new bool[nodes];           // a node whose rule another ran this step (a partner product's, a piece's activation)
            public readonly bool[] CarryHas = new bool[carries];     // whether a carry's cotangent into this step does
            public readonly T[] Tmp = ArrayPool<T>.Shared.Rent(scratch); // returned by Backward
            public readonly T[][] GExt = gExt;                        // cotangents of the externals used inside the step
        }

        private T[]?[] _cot = null!;                       // a node's cotangent within one step (rows split between parts),
        private T[]?[] _cotSteps = null!;                  // or at every step ([T · size], CotangentPerStep), or none (CotangentOf, InPlace)
        private T[][] _carryIn = null!, _carryOut = null!; // cotangents of the carry into the later step / into this one
        private bool[] _carryInHas = null!;
        private T[] _gxs = null!;
        private T[][] _gExt = null!;

        public NDArray?[] Backward(T[] gy)
        {
            var p = _op._program;
            int carries = _op._carryShapes.Length, ySize = p.YShape.Size;
            _cot = _nodes.Select(n => n.CotangentPerStep || n.CotangentOf >= 0 || n.InPlace ? null : ArrayPool<T>.Shared.Rent(n.Size)).ToArray();
            _cotSteps = new T[]?[_nodes.Length];
            _carryIn = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryOut = _op._carryShapes.Select(c => new T[c.Size]).ToArray();
            _carryInHas = new bool[carries];
            // PERF: the results in recycled arrays (NDArray.Zeros, as the fused layers' are), the second half's sums in pooled ones.
            var gxs = NDArray.Zeros(_op._xShape.InsertAxis(0, _steps), DTypeExtensions.Of<T>());
            var gExt = _extShapes.Select(s => NDArray.Zeros(s, DTypeExtensions.Of<T>())).ToArray();
            (_gxs, _gExt) = (gxs.Array<T>(), gExt.Select(g => g.Array<T>()).ToArray());
            int scratch = _nodes.Length == 0 ? 0 : _nodes.Max(n => n.Size);
            // The second half sums its externals' cotangents apart, added in at the end: the result does not depend on timing.
            Part[] parts = _split
                ? [new Part(_nodes.Length, carries, scratch, _gExt), new Part(_nodes.Length, carries, scratch, _extShapes.Select(s => Pooled(s.Size)).ToArray())]
                : [new Part(_nodes.Length, carries, scratch, _gExt)];
            // The final carry's cotangent enters the last step processed.
            for (int i = 0, at = _steps * ySize; i < carries; at += _carryIn[i].Length, i++)
            {
                gy.AsSpan(at, _carryIn[i].Length).CopyTo(_carryIn[i]);
                _carryInHas[i] = true;
            }
            // Σ over every row of every step of a per-step cotangent, for the biases: once per buffer, which two products may share.
            var columnSums = new T[]?[_nodes.Length];
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
                        Array.Clear(part.Done);
                        Array.Clear(part.CarryHas);
                        for (int i = 0; i < carries; i++)
                            if (_carryInHas[i]) Contribute(p.CarryOut[i], t, lo, hi, part, Slice(_carryIn[i], RowSize(new ScanRef(ScanSource.Carry, i)), lo, hi));
                        int yRow = RowSize(p.Y);
                        Contribute(p.Y, t, lo, hi, part, gy.AsSpan(t * ySize + lo * yRow, yRow == 0 ? ySize : (hi - lo) * yRow));
                        for (int k = _nodes.Length - 1; k >= 0; k--)
                            if (part.Has[k]) { if (!part.Done[k]) Propagate(k, t, lo, hi, part); }
                            else if (_nodes[k].CotangentPerStep) NoCotangent(k, t, lo, hi);
                            else if (_nodes[k].Partitions) Piece(k, t, lo, hi, part, default);
                    });
                    (_carryIn, _carryOut) = (_carryOut, _carryIn);
                    Array.Copy(parts[0].CarryHas, _carryInHas, carries);
                }
                if (_split)
                    for (int j = 0; j < _gExt.Length; j++) TensorPrimitives.Add(_gExt[j], parts[1].GExt[j].AsSpan(0, _gExt[j].Length), _gExt[j]);
                for (int k = 0; k < _nodes.Length; k++)
                    if (_nodes[k].Instr is ScanInstr.Affine or ScanInstr.MatMul)
                    {
                        int owner = _nodes[k].CotangentOf >= 0 ? _nodes[k].CotangentOf : k;
                        int partner = _nodes[k].Partner;
                        if (partner < 0) WeightAfterLoop(_nodes[k], owner);
                        else if (partner > k) WeightPairAfterLoop(_nodes[k], _nodes[partner], owner);
                        AffineAfterLoop(_nodes[k], owner, columnSums);
                    }
            }
            finally
            {
                var second = parts.Length > 1 ? parts[1].GExt : [];
                foreach (var g in _cotSteps.Concat(_cot).Concat(parts.Select(q => q.Tmp)).Concat(columnSums).Concat(second))
                    if (g is not null) ArrayPool<T>.Shared.Return(g);
            }
            var result = new NDArray?[1 + carries + _ext.Length];
            result[0] = gxs;
            for (int i = 0; i < carries; i++)
                result[1 + i] = _carryInHas[i] ? new NDArray(_op._carryShapes[i], _carryIn[i]) : null;
            for (int j = 0; j < _ext.Length; j++) result[1 + carries + j] = gExt[j];
            return result;
        }

        private static T[] Pooled(int length)
        {
            var a = ArrayPool<T>.Shared.Rent(length);
            a.AsSpan(0, length).Clear();
            return a;
        }

        // A node kept per step that received nothing at step t (it feeds only a carry the next step does not read): its
        // rows there are zero, for the products after the loop that read every step (a pooled buffer holds old values).
        private void NoCotangent(int k, int t, int lo, int hi)
        {
            var (a, o) = Cotangent(k, t, lo);
            int row = RowSize(new ScanRef(ScanSource.Node, k));
            a.AsSpan(o, row == 0 ? _nodes[k].Size : (hi - lo) * row).Clear();
        }

        // A slice that partitions its input (ScanNode.Partitions): its cotangent g copied into its piece of every row of
        // the input's, or zeros when it got none this step (the pieces together write each element once, so nothing is
        // cleared first and nothing is left over from a pooled buffer).
        private void Piece(int k, int t, int lo, int hi, Part part, ReadOnlySpan<T> g)
        {
            var n = _nodes[k];
            var (into, offset, _) = Target(n.Inputs[0], t, lo, hi, part);
            if (into is null) return;
            int row = RowSize(new ScanRef(ScanSource.Node, k)), cols = n.Shape[-1];
            int rows = (row == 0 ? n.Size : (hi - lo) * row) / Math.Max(1, cols), from = ShapeOf(n.Inputs[0])[-1];
            for (int r = 0; r < rows; r++)
            {
                var piece = into.AsSpan(offset + r * from + n.SliceStart, cols);
                if (g.IsEmpty) piece.Clear();
                else g.Slice(r * cols, cols).CopyTo(piece);
            }
        }

        private static ReadOnlySpan<T> Slice(T[] whole, int row, int lo, int hi) => row == 0 ? whole : whole.AsSpan(lo * row, (hi - lo) * row);

        // Where node k's cotangent for batch rows from `lo` lives at step t: its own buffer, or the add's it shares.
        private (T[] Array, int Offset) Cotangent(int k, int t, int lo)
        {
            int row = RowSize(new ScanRef(ScanSource.Node, k)), at = row == 0 ? 0 : lo * row;
            while (_nodes[k].CotangentOf >= 0) k = _nodes[k].CotangentOf;
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
                    if (!n.Hoisted && n.Partner is var q and >= 0 && !_nodes[q].Hoisted && part.Has[q] && !part.Done[q])
                    {
                        PairStep(n, _nodes[q], ga, go, len, t, lo, hi, part);
                        part.Done[q] = true;
                    }
                    else if (!n.Hoisted) InputStep(n, ga, go, len, Target(n.Inputs[0], t, lo, hi, part));
                    break;
                case ScanInstr.Add:
                    foreach (var r in n.Inputs)
                        if (r.Source == ScanSource.Node && _nodes[r.Index].CotangentOf == k) part.Has[r.Index] = true; // reads g in place
                        else Contribute(r, t, lo, hi, part, g);
                    break;
                case ScanInstr.Sub:
                {
                    Contribute(n.Inputs[0], t, lo, hi, part, g);
                    var o = Into(n.Inputs[1], t, lo, hi, part, n, tmp, out bool direct);
                    TensorPrimitives.Negate(g, o);
                    Deliver(n.Inputs[1], t, lo, hi, part, o, direct);
                    break;
                }
                case ScanInstr.Mul:
                    for (int i = 0; i < 2; i++)
                    {
                        var o = Into(n.Inputs[i], t, lo, hi, part, n, tmp, out bool direct);
                        Binary(ScanInstr.Mul, g, Value(n.Inputs[1 - i], t, lo, hi), o, cols);
                        Deliver(n.Inputs[i], t, lo, hi, part, o, direct);
                    }
                    break;
                case ScanInstr.Neg:
                {
                    var o = Into(n.Inputs[0], t, lo, hi, part, n, tmp, out bool direct);
                    TensorPrimitives.Negate(g, o);
                    Deliver(n.Inputs[0], t, lo, hi, part, o, direct);
                    break;
                }
                case ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu when n.Inputs[0] is { Source: ScanSource.Node } p
                    && _nodes[p.Index].InPlace:
                {
                    // g_x straight into the piece's columns of the sliced value's cotangent, which the piece's rule then skips.
                    var piece = _nodes[p.Index];
                    var (into, offset, _) = Target(piece.Inputs[0], t, lo, hi, part);
                    part.Has[p.Index] = part.Done[p.Index] = true;
                    var y = Value(new ScanRef(ScanSource.Node, k), t, lo, hi);
                    int from = ShapeOf(piece.Inputs[0])[-1];
                    for (int r = 0; r < len / cols; r++)
                        Activation(n.Instr, y.Slice(r * cols, cols), g.Slice(r * cols, cols), into!.AsSpan(offset + r * from + piece.SliceStart, cols));
                    break;
                }
                case ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu:
                {
                    var o = Into(n.Inputs[0], t, lo, hi, part, n, tmp, out bool direct);
                    Activation(n.Instr, Value(new ScanRef(ScanSource.Node, k), t, lo, hi), g, o);
                    Deliver(n.Inputs[0], t, lo, hi, part, o, direct);
                    break;
                }
                case ScanInstr.Slice when n.Partitions:
                    Piece(k, t, lo, hi, part, g);
                    break;
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

        // PERF: where node n's rule writes input r's cotangent: in place when this is its first one this step and r has
        // n's shape, else into the scratch `tmp` (then added in by Deliver). Saves a copy per input on most edges.
        private Span<T> Into(ScanRef r, int t, int lo, int hi, Part part, ScanNode n, Span<T> tmp, out bool direct)
        {
            var (into, offset, add) = Target(r, t, lo, hi, part, probe: true);
            direct = into is not null && !add && ShapeOf(r).Size == n.Size;
            return direct ? into.AsSpan(offset, tmp.Length) : tmp;
        }

        // After a rule wrote into what Into gave it: marks a write in place, or adds the scratch into r's cotangent.
        private void Deliver(ScanRef r, int t, int lo, int hi, Part part, ReadOnlySpan<T> written, bool direct)
        {
            if (direct) Target(r, t, lo, hi, part);
            else Contribute(r, t, lo, hi, part, written);
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
                Reduce.SumRows(g, g.Length / size, dst);
            }
        }
    }
}
