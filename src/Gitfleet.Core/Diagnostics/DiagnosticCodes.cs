namespace Gitfleet.Core.Diagnostics;

/// <summary>Stable diagnostic codes, one per class of problem (listed in docs/fleet-repository.md).</summary>
public static class DiagnosticCodes
{
    public const string YamlSyntax = "yaml-syntax";
    public const string Encoding = "encoding";
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
