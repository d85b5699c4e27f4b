namespace Autograd;

/// <summary>Where a value of a scan body comes from: the step's input x_t, a carry tensor, a tensor from outside the
/// step (a weight, a constant), or a node the body computes.</summary>
internal enum ScanSource { X, Carry, External, Node }

/// <summary>A value of a scan body: <see cref="Source"/> and its index among the carries, externals or nodes.</summary>
internal readonly record struct ScanRef(ScanSource Source, int Index);

/// <summary>The operations a compiled scan body may contain.</summary>
internal enum ScanInstr { Affine, MatMul, Add, Sub, Mul, Neg, Sigmoid, Tanh, Relu, Exp, Slice }

/// <summary>One operation of a traced step, with its inputs as <see cref="ScanRef"/>s.</summary>
/// <param name="Instr">The operation.</param>
/// <param name="Inputs">Its operands, in the primitive's order (affine: input, weight, bias).</param>
/// <param name="Shape">The shape of its value at one step.</param>
/// <param name="SliceStart">For <see cref="ScanInstr.Slice"/>: first column taken along the last axis.</param>
internal sealed record ScanNode(ScanInstr Instr, ScanRef[] Inputs, Shape Shape, int SliceStart = 0)
{
    public int Size => Shape.Size;

    /// <summary>Its value is kept for every step (the backward pass or the next step reads it), not only within one step.</summary>
    public bool Stored { get; set; }

    /// <summary>An <see cref="ScanInstr.Affine"/> or <see cref="ScanInstr.MatMul"/> of x_t itself: computed for all steps
    /// by one product before the loop.</summary>
    public bool Hoisted { get; set; }

    /// <summary>On an <see cref="ScanInstr.Add"/>: the index of a product among its operands (used by it alone, not
    /// kept) that the add computes itself, by accumulating the GEMM onto the other operand; −1 for none.</summary>
    public int FusedProduct { get; set; } = -1;

    /// <summary>Computed by the add that uses it (<see cref="FusedProduct"/>), not on its own.</summary>
    public bool Fused { get; set; }

    /// <summary>On an add with a <see cref="FusedProduct"/>: the index of its other operand, a product used by it alone,
    /// whose buffer is the add's value: that product starts from both biases and the add accumulates its own product
    /// onto it, with no copy and no bias pass of its own; −1 for none.</summary>
    public int Onto { get; set; } = -1;

    /// <summary>The index of the add whose cotangent this node's is (its only use, same shape; a product, or an
    /// elementwise value): its rule reads it there instead of receiving a copy; −1 for its own.</summary>
    public int CotangentOf { get; set; } = -1;

    /// <summary>Its cotangent is kept for every step (a product's, for the weight gradient after the loop).</summary>
    public bool CotangentPerStep { get; set; }

    /// <summary>On an <see cref="ScanInstr.Affine"/>: the other affine map whose cotangent is the same add's (W x_t + U h_{t−1}:
    /// both read g of the sum), when there are exactly two and their weights differ; −1 for none. The rule runs the two
    /// products together (Gemm.MultiplyPair), since they share their left operand g.</summary>
    public int Partner { get; set; } = -1;

    /// <summary>On a <see cref="ScanInstr.Slice"/>: one of slices that cut their input's last axis into pieces (a
    /// <c>Chunk</c>, a <c>Split</c>) and are all its uses, so its rule copies its piece of the input's cotangent in
    /// rather than adding it to rows another slice cleared first.</summary>
    public bool Partitions { get; set; }

    /// <summary>On a <see cref="Partitions"/> slice read only by an activation: not copied out. The activation reads its
    /// columns of the input in place, and its rule writes g_x straight into them in the input's cotangent.</summary>
    public bool InPlace { get; set; }
}

/// <summary>
/// A step function traced once into a straight-line program that <see cref="CompiledScanOp"/> runs for every step
/// over buffers of its own: JAX's <c>lax.scan</c> traces its body the same way. The step is called once, on the initial
/// carry (each tensor through a <see cref="ScanCarryOp"/> node of its own) and x_0; the nodes it records between those
/// and its results are the body. Everything else it reads (weights, constants) is an external, the same at every step.
/// </summary>
internal sealed class ScanProgram
{
    public required ScanNode[] Nodes { get; init; }
    public required ScanRef[] CarryOut { get; init; }
    public required ScanRef Y { get; init; }
    public required Tensor[] Externals { get; init; }
    public required Shape YShape { get; init; }
    public required Shape XShape { get; init; }
    public required Shape[] CarryShapes { get; init; }

    /// <summary>Traces <paramref name="step"/> on the first step to process (x_0, or x_{T−1} when
    /// <paramref name="reverse"/>) and returns its program, or null when the step uses an operation, a dtype or a
    /// broadcast the compiled scan does not run, or changes its carry's shapes. Either way it also returns that first
    /// step's results, recorded on the graph from <paramref name="init"/> and xs: the unrolled loop starts from them.</summary>
    public static (ScanProgram? Program, C Carry, Tensor Y) Trace<C>(Tensor xs, C init, Func<C, Tensor, (C Carry, Tensor Y)> step, bool reverse)
    {
        var initLeaves = Tree.Flatten(init);
        var carries = initLeaves.Select(ScanCarryOp.Record).ToArray();
        var x = Ops.Index(xs, reverse ? xs.Shape[0] - 1 : 0);
        long firstBodyId = x.Id + 1;
        var (next, y) = step(Tree.Rebuild(init, carries), x);
        var outs = Tree.Flatten(next);
        // For the unrolled loop, a carry the step passes through unchanged is the initial tensor itself.
        if (outs.Any(o => Array.IndexOf(carries, o) >= 0))
            next = Tree.Rebuild(next, outs.Select(o => Array.IndexOf(carries, o) is var j and >= 0 ? initLeaves[j] : o).ToList());
        var dtype = xs.DType;
        if (outs.Count != carries.Length || y.DType != dtype || carries.Any(c => c.DType != dtype)) return (null, next, y);
        for (int i = 0; i < outs.Count; i++)
            if (!outs[i].Shape.Equals(carries[i].Shape) || outs[i].DType != dtype) return (null, next, y);

        var builder = new Builder(x, carries, firstBodyId, dtype);
        var carryOut = new ScanRef[outs.Count];
        for (int i = 0; i < outs.Count; i++)
            if (builder.Resolve(outs[i]) is { } r) carryOut[i] = r;
            else return (null, next, y);
        if (builder.Resolve(y) is not { } yRef) return (null, next, y);
        var program = new ScanProgram
        {
            Nodes = [.. builder.Nodes],
            CarryOut = carryOut,
            Y = yRef,
            Externals = [.. builder.Externals],
            YShape = y.Shape,
            XShape = x.Shape,
            CarryShapes = [.. carries.Select(c => c.Shape)],
        };
        program.Plan();
        return (program, next, y);
    }

    // Decides which node values are kept for every step: outputs, inputs the backward pass reads, and the outputs of
    // activations whose derivative is written with them.
    private void Plan()
    {
        void Keep(ScanRef r)
        {
            if (r.Source == ScanSource.Node) Nodes[r.Index].Stored = true;
        }
        foreach (var r in CarryOut) Keep(r);
        Keep(Y);
        foreach (var n in Nodes)
        {
            switch (n.Instr)
            {
                case ScanInstr.Affine or ScanInstr.MatMul:
                    Keep(n.Inputs[0]); // gW = Σ_t g_tᵀ a_t, one product after the loop
                    // PERF: a product of x_t is hoisted (one product for all steps before the loop) unless x_t is narrow:
                    // then it is computed in each step (Gemm.StepProjectionDepth).
                    n.Hoisted = n.Inputs[0].Source == ScanSource.X && XShape[XShape.Rank - 1] > Gemm.StepProjectionDepth;
                    break;
                case ScanInstr.Mul:
                    Keep(n.Inputs[0]);
                    Keep(n.Inputs[1]);
                    break;
                case ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu:
                    n.Stored = true;
                    break;
            }
        }
        // PERF: W x_t + b + U h + c, the sum every recurrent cell starts from. The add computes U h itself (onto the
        // other operand, no buffer of its own), and in the rule both products read the add's cotangent in place: it is
        // the g of both weight gradients, kept per step, with no copies.
        var uses = new int[Nodes.Length];
        foreach (var n in Nodes)
            foreach (var r in n.Inputs)
                if (r.Source == ScanSource.Node) uses[r.Index]++;
        foreach (var r in CarryOut.Append(Y))
            if (r.Source == ScanSource.Node) uses[r.Index]++;
        // PERF: the pieces of a Chunk (W2's [B, 4H] gate sum, four slices) each copy their cotangent into place: the first
        // one cleared all 4H columns of every row and each then added its piece in.
        for (int k = 0; k < Nodes.Length; k++)
        {
            var cut = Nodes.Where(n => n.Instr == ScanInstr.Slice && n.Inputs[0] == new ScanRef(ScanSource.Node, k)).OrderBy(n => n.SliceStart).ToList();
            if (cut.Count == 0 || cut.Count != uses[k]) continue;
            int end = 0;
            foreach (var piece in cut) end = piece.SliceStart == end ? end + piece.Shape[-1] : -1;
            if (end == Nodes[k].Shape[-1])
                foreach (var piece in cut) piece.Partitions = true;
        }
        // PERF: W2's four gates each read one piece of the [B, 4H] sum: copying the pieces out (and their cotangents back)
        // was a pass per piece and direction.
        for (int k = 0; k < Nodes.Length; k++)
            if (Nodes[k] is { Instr: ScanInstr.Sigmoid or ScanInstr.Tanh or ScanInstr.Exp or ScanInstr.Relu } act
                && act.Inputs[0] is { Source: ScanSource.Node, Index: var p } && uses[p] == 1 && Nodes[p] is { Partitions: true, Stored: false } piece)
                piece.InPlace = true;
        bool Product(ScanRef r, ScanNode user) => r.Source == ScanSource.Node && Nodes[r.Index] is { Instr: ScanInstr.Affine or ScanInstr.MatMul } p
            && uses[r.Index] == 1 && p.Shape.Equals(user.Shape);
        for (int k = 0; k < Nodes.Length; k++)
        {
            var n = Nodes[k];
            if (n.Instr is ScanInstr.Affine or ScanInstr.MatMul) n.CotangentPerStep = true;
            if (n.Instr != ScanInstr.Add) continue;
            foreach (var r in n.Inputs)
                if (Product(r, n))
                {
                    Nodes[r.Index].CotangentOf = k;
                    Nodes[r.Index].CotangentPerStep = false;
                    n.CotangentPerStep = true;
                }
            // The other operand must be whole (not broadcast) for the add to start from it.
            for (int i = 0; i < 2 && n.FusedProduct < 0; i++)
                if (Product(n.Inputs[i], n) && !Nodes[n.Inputs[i].Index].Hoisted && !Nodes[n.Inputs[i].Index].Stored
                    && Shape(n.Inputs[1 - i]).Equals(n.Shape))
                {
                    n.FusedProduct = n.Inputs[i].Index;
                    Nodes[n.Inputs[i].Index].Fused = true;
                    if (!n.Stored && Product(n.Inputs[1 - i], n) && !Nodes[n.Inputs[1 - i].Index].Stored)
                        n.Onto = n.Inputs[1 - i].Index;
                }
        }
        // PERF: likewise an elementwise value used only by a sum of its own shape (f ⊙ c and i ⊙ g in c' = f ⊙ c + i ⊙ g)
        // reads the sum's cotangent in place instead of receiving a copy. Not a sum whose cotangent is kept per step.
        for (int k = 0; k < Nodes.Length; k++)
            if (Nodes[k] is { Instr: ScanInstr.Add, CotangentPerStep: false } sum)
                foreach (var r in sum.Inputs)
                    if (r.Source == ScanSource.Node && uses[r.Index] == 1 && Nodes[r.Index] is { Instr: not (ScanInstr.Affine or ScanInstr.MatMul) } x
                        && !x.CotangentPerStep && x.Shape.Equals(sum.Shape))
                        x.CotangentOf = k;
        foreach (var group in Enumerable.Range(0, Nodes.Length)
            .Where(k => Nodes[k] is { Instr: ScanInstr.Affine, CotangentOf: >= 0 }).GroupBy(k => Nodes[k].CotangentOf))
            if (group.ToArray() is [var a, var b] && Nodes[a].Inputs[1] != Nodes[b].Inputs[1])
                (Nodes[a].Partner, Nodes[b].Partner) = (b, a);
    }

    private Shape Shape(ScanRef r) => r.Source switch
    {
        ScanSource.Node => Nodes[r.Index].Shape,
        ScanSource.External => Externals[r.Index].Shape,
        ScanSource.X => XShape,
        _ => CarryShapes[r.Index],
    };

    private sealed class Builder(Tensor x, Tensor[] carries, long firstBodyId, DType dtype)
    {
        public readonly List<ScanNode> Nodes = [];
        public readonly List<Tensor> Externals = [];
        private readonly Dictionary<Tensor, ScanRef> _seen = new(ReferenceEqualityComparer.Instance);

        // The value t as a ScanRef, adding the body nodes it needs (inputs first); null if the body cannot be compiled.
        // Iterative: a long chain inside one step must not overflow the stack.
        public ScanRef? Resolve(Tensor root)
        {
            var stack = new Stack<(Tensor Node, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (t, expanded) = stack.Pop();
                if (_seen.ContainsKey(t)) continue;
                if (!expanded && Classify(t) is { } leaf)
                {
                    _seen[t] = leaf;
                    continue;
                }
                if (!expanded)
                {
                    // PERF: a step that cannot be compiled is found out at its first foreign node, before any is compiled.
                    if (!Compilable(t.Op)) return null;
                    stack.Push((t, true));
                    for (int i = t.InputCount - 1; i >= 0; i--)
                        if (!_seen.ContainsKey(t.Input(i))) stack.Push((t.Input(i), false));
                    continue;
                }
                if (Compile(t) is not { } node) return null;
                _seen[t] = new ScanRef(ScanSource.Node, Nodes.Count);
                Nodes.Add(node);
            }
            return _seen[root];
        }

        private static bool Compilable(Primitive? op) =>
            op is AffineOp or MatMulOp or AddOp or SubOp or MulOp or NegOp or SigmoidOp or TanhOp or ReluOp or ExpOp or SliceOp;

        // x, a carry, or an external (anything the step did not compute from them); null for a body node.
        private ScanRef? Classify(Tensor t)
        {
            if (ReferenceEquals(t, x)) return new ScanRef(ScanSource.X, 0);
            int c = Array.IndexOf(carries, t);
            if (c >= 0) return new ScanRef(ScanSource.Carry, c);
            if (t.Op is not null && t.Id >= firstBodyId) return null;
            Externals.Add(t);
            return new ScanRef(ScanSource.External, Externals.Count - 1);
        }

        private ScanNode? Compile(Tensor t)
        {
            if (t.DType != dtype) return null;
            for (int i = 0; i < t.InputCount; i++)
                if (t.Input(i).DType != dtype) return null;
            var inputs = new ScanRef[t.InputCount];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = _seen[t.Input(i)];
            ScanInstr? instr = t.Op switch
            {
                AffineOp => inputs[1].Source == ScanSource.External && (inputs.Length == 2 || inputs[2].Source == ScanSource.External)
                    ? ScanInstr.Affine : null,
                MatMulOp => inputs[1].Source == ScanSource.External && t.Input(0).Rank >= 2 && t.Input(1).Rank == 2 ? ScanInstr.MatMul : null,
                AddOp => Broadcastable(t) ? ScanInstr.Add : null,
                SubOp => Broadcastable(t) ? ScanInstr.Sub : null,
                MulOp => Broadcastable(t) ? ScanInstr.Mul : null,
                NegOp => ScanInstr.Neg,
                SigmoidOp => ScanInstr.Sigmoid,
                TanhOp => ScanInstr.Tanh,
                ReluOp => ScanInstr.Relu,
                ExpOp => ScanInstr.Exp,
                SliceOp s when s.Step == 1 && t.Rank >= 1 && s.Axis == t.Rank - 1 => ScanInstr.Slice,
                _ => null,
            };
            if (instr is not { } op) return null;
            return new ScanNode(op, inputs, t.Shape, t.Op is SliceOp slice ? slice.Start : 0);
        }

        // Each operand has the result's shape, one element, or the result's last axis only ([n] or [1, .., n]).
        private static bool Broadcastable(Tensor t)
        {
            int full = 0;
            for (int i = 0; i < 2; i++)
            {
                var s = t.Input(i).Shape;
                if (s.Equals(t.Shape)) full++;
                else if (!(s.Size == 1 || (t.Rank >= 1 && s.Rank >= 1 && s.Rank <= t.Rank && s[-1] == t.Shape[-1] && s.Size == s[-1]))) return false;
            }
            return full >= 1;
        }
    }
}
