using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>One place in the written-out tree of a genome: its pre-order index, the node there and its depth (root = 1).</summary>
internal readonly record struct Site(int Index, Expr Node, int Depth);

/// <summary>
/// Addresses places in the written-out tree (pre-order index) rather than distinct nodes. Operators that
/// work on places act the same whether or not equal subgraphs happen to be shared by reference, so a genome
/// read back from a checkpoint breeds exactly as the original did.
/// </summary>
internal static class TreePositions
{
    public static List<Site> All(Expr root)
    {
        var sites = new List<Site>(root.Size);
        var stack = new Stack<(Expr Node, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            sites.Add(new Site(sites.Count, node, depth));
            var children = node.Children;
            for (int i = children.Length - 1; i >= 0; i--) stack.Push((children[i], depth + 1));
        }
        return sites;
    }

    public static Expr At(Expr root, int index) => Descend(root, index, null);

    /// <summary>The nodes on the path from the root down to (not including) the place.</summary>
    public static List<Expr> Ancestors(Expr root, int index)
    {
        var path = new List<Expr>();
        Descend(root, index, path);
        return path;
    }

    // Walks from the root to the place by subtree sizes, noting the path when asked to.
    private static Expr Descend(Expr root, int index, List<Expr>? path)
    {
        var node = root;
        while (index > 0)
        {
            path?.Add(node);
            index--; // step past this node
            foreach (var c in node.Children)
            {
                if (index < c.Size)
                {
                    node = c;
                    goto next;
                }
                index -= c.Size;
            }
            throw new ArgumentOutOfRangeException(nameof(index));
        next:;
        }
        return node;
    }

    /// <summary>A copy with the subtree at the place replaced; only the nodes on the path are rebuilt.</summary>
    public static Expr ReplaceAt(Expr root, int index, Expr replacement)
    {
        if (index == 0) return replacement;
        var children = root.Children;
        int offset = 1;
        for (int i = 0; i < children.Length; i++)
        {
            if (index < offset + children[i].Size)
                return root.WithChildren(children.SetItem(i, ReplaceAt(children[i], index - offset, replacement)));
            offset += children[i].Size;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>
    /// Distinct nodes that may become an input of the node above the place without duplicating the path:
    /// nodes that do not contain the place's parent (or are it). Every node qualifies for the root place.
    /// </summary>
    public static List<Expr> Attachable(Expr root, int index)
    {
        var nodes = root.Nodes();
        if (index == 0) return [.. nodes];
        var path = Ancestors(root, index);
        var ancestors = new HashSet<Expr>(path, ReferenceEqualityComparer.Instance);
        var parent = path[^1];
        var reaches = new HashSet<Expr>(ReferenceEqualityComparer.Instance);
        var result = new List<Expr>();
        foreach (var n in nodes) // post-order: children are decided before their parents
        {
            bool r = ReferenceEquals(n, parent) || ancestors.Contains(n);
            if (!r)
                foreach (var c in n.Children)
                    if (reaches.Contains(c))
                    {
                        r = true;
                        break;
                    }
            if (r) reaches.Add(n);
            else result.Add(n);
        }
        return result;
    }
}
