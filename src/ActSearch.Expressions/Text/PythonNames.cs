namespace ActSearch.Expressions;

/// <summary>
/// Python spellings of parameter names for the exports: a name that is a Python keyword, or that the
/// generated code already uses, gets a trailing underscore (<c>lambda</c> becomes <c>lambda_</c>), so
/// every exported snippet runs whatever the search called its parameters.
/// </summary>
internal static class PythonNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
        "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    };

    /// <summary>Public members of torch's nn.Module (1.13): a parameter attribute must not shadow them.</summary>
    public static readonly IReadOnlySet<string> ModuleMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "children", "cpu", "cuda", "double",
        "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
        "get_submodule", "half", "ipu", "load_state_dict", "modules", "named_buffers", "named_children",
        "named_modules", "named_parameters", "parameters", "register_backward_hook", "register_buffer",
        "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
        "register_load_state_dict_post_hook", "register_module", "register_parameter", "requires_grad_",
        "set_extra_state", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
        "zero_grad", "mtia", "compile",
    };

    /// <summary>One distinct, valid Python identifier per parameter, in order.</summary>
    public static Dictionary<string, string> Assign(IEnumerable<Parameter> parameters, IReadOnlySet<string> reserved)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var all = parameters.Select(p => p.Name).ToList();
        foreach (string name in all)
        {
            string py = name;
            // Names with two leading underscores would be mangled inside a class body.
            if (py.StartsWith("__", StringComparison.Ordinal)) py = "p" + py;
            while (Keywords.Contains(py) || reserved.Contains(py) || used.Contains(py) || (py != name && all.Contains(py)))
                py += "_";
            used.Add(py);
            map[name] = py;
        }
        return map;
    }
}
