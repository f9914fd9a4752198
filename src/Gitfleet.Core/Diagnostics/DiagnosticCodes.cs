namespace Gitfleet.Core.Diagnostics;

/// <summary>Stable diagnostic codes, one per class of problem (listed in docs/fleet-repository.md).</summary>
public static class DiagnosticCodes
{
    public const string YamlSyntax = "yaml-syntax";

    /// <summary>Mappings and lists nested deeper than the limit (64).</summary>
    public const string YamlDepth = "yaml-depth";

    /// <summary>An alias to no anchor, or to the node that contains it (it would repeat forever).</summary>
    public const string YamlAlias = "yaml-alias";

    /// <summary>More aliases in one file than the limit (10,000).</summary>
    public const string YamlAliases = "yaml-aliases";

    /// <summary>More nodes, aliases expanded, than a file (1,000,000) or a revision (2,000,000) may hold.</summary>
    public const string YamlNodes = "yaml-nodes";

    /// <summary>A template whose output for a device exceeds the limit, or whose rendering takes too long or too many steps.</summary>
    public const string TemplateLimit = "template-limit";
    public const string Encoding = "encoding";

    /// <summary>A fleet file that is a symbolic link leaving the repository (working tree), or a link committed to git.</summary>
    public const string SymbolicLink = "symlink";
    public const string UnknownKey = "unknown-key";
    public const string WrongType = "wrong-type";
    public const string InvalidValue = "invalid-value";
    public const string MissingInventory = "missing-inventory";
    public const string InvalidDeviceId = "invalid-device-id";
    public const string Contradiction = "contradiction";
    public const string GroupCycle = "group-cycle";
    public const string MalformedSelector = "malformed-selector";
    public const string MissingTemplate = "missing-template";
    public const string TemplateSyntax = "template-syntax";
    public const string UndefinedTemplateVariable = "undefined-template-variable";
    public const string TemplateOutput = "template-output";
    public const string NoOsImage = "no-os-image";
    public const string UnknownHost = "unknown-host";
    public const string UnknownGroup = "unknown-group";
    public const string SuspiciousVariable = "suspicious-variable";
    public const string UnknownBranch = "unknown-branch";

    /// <summary>A change would move more bytes over the air than the branch's byte budget allows or warns about (validate with facts).</summary>
    public const string ByteBudget = "byte-budget";
}
