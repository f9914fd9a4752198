using System.Globalization;

namespace Gitfleet.Simulator.Faults;

/// <summary>Where an injected install failure strikes.</summary>
public enum FailurePhase
{
    /// <summary>The health check after the reboot for images that reboot (rolled back), the install otherwise.</summary>
    Automatic,

    /// <summary>The update module fails while installing: installing, then failure.</summary>
    Install,

    /// <summary>The new image boots and its health check fails: installing, rebooting, then failure and a rollback.</summary>
    HealthCheck,
}

/// <summary>
/// "This image fails on these devices": an artifact name pattern (<c>*</c> and <c>?</c>) and conditions that must
/// all hold. Text form, for the command line: <c>PATTERN[@COND,COND...]</c> where COND is <c>device_type=A|B</c>,
/// <c>index=N</c> or <c>index=N-M</c>, <c>probability=P</c>, <c>phase=install|health-check</c>,
/// <c>identity.NAME=VALUE</c>, or <c>KEY=VALUE</c> for a key of the device's applied configuration (for example
/// <c>subscribed_branch=canary</c>; <c>config.KEY=VALUE</c> says the same).
/// </summary>
public sealed record ImageFailureRule
{
    public required string ArtifactPattern { get; init; }

    /// <summary>Device types the rule applies to; empty: all.</summary>
    public IReadOnlyList<string> DeviceTypes { get; init; } = [];

    /// <summary>Inclusive range of device indexes; null: all.</summary>
    public (int From, int To)? Indexes { get; init; }

    /// <summary>Values the device's applied configuration must have (e.g. subscribed_branch = canary).</summary>
    public IReadOnlyDictionary<string, string> Configuration { get; init; } = new Dictionary<string, string>();

    /// <summary>Identity attributes the device must have.</summary>
    public IReadOnlyDictionary<string, string> Identity { get; init; } = new Dictionary<string, string>();

    /// <summary>Among matching devices, the share that fails (drawn per install, deterministic per seed).</summary>
    public double Probability { get; init; } = 1;

    public FailurePhase Phase { get; init; } = FailurePhase.Automatic;

    /// <summary>What the failing module or health check prints (it reaches the deployment log).</summary>
    public string? Message { get; init; }

    public bool Matches(string artifactName, in RuleSubject device)
    {
        if (!Wildcard.IsMatch(ArtifactPattern, artifactName))
        {
            return false;
        }

        if (DeviceTypes.Count > 0 && !DeviceTypes.Contains(device.DeviceType, StringComparer.Ordinal))
        {
            return false;
        }

        if (Indexes is { } range && (device.Index < range.From || device.Index > range.To))
        {
            return false;
        }

        foreach (var (key, value) in Configuration)
        {
            if (device.Configuration is null || !device.Configuration.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        if (Identity.Count > 0)
        {
            var identity = device.Identity();
            foreach (var (key, value) in Identity)
            {
                if (!identity.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Parses the text form; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static ImageFailureRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var artifact = (at < 0 ? text : text[..at]).Trim();
        if (artifact.Length == 0)
        {
            throw new FormatException($"'{text}': an image failure rule starts with an artifact name pattern, e.g. 'broken-*@subscribed_branch=canary'");
        }

        var types = new List<string>();
        var configuration = new Dictionary<string, string>(StringComparer.Ordinal);
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        (int, int)? indexes = null;
        var probability = 1.0;
        var phase = FailurePhase.Automatic;
        var conditions = at < 0 ? [] : text[(at + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var condition in conditions)
        {
            var equals = condition.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"'{condition}' in '{text}' is not KEY=VALUE");
            }

            var key = condition[..equals].Trim();
            var value = condition[(equals + 1)..].Trim();
            switch (key)
            {
                case "device_type":
                    types.AddRange(value.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "index":
                    indexes = ParseRange(value, text);
                    break;
                case "probability":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out probability) || probability is < 0 or > 1)
                    {
                        throw new FormatException($"probability '{value}' in '{text}' must be a number between 0 and 1");
                    }

                    break;
                case "phase":
                    phase = value switch
                    {
                        "install" => FailurePhase.Install,
                        "health-check" => FailurePhase.HealthCheck,
                        "auto" => FailurePhase.Automatic,
                        _ => throw new FormatException($"phase '{value}' in '{text}' must be install, health-check or auto"),
                    };
                    break;
                default:
                    if (key.StartsWith("identity.", StringComparison.Ordinal) && key.Length > 9)
                    {
                        identity[key[9..]] = value;
                    }
                    else
                    {
                        configuration[key.StartsWith("config.", StringComparison.Ordinal) ? key[7..] : key] = value;
                    }

                    break;
            }
        }

        return new ImageFailureRule
        {
            ArtifactPattern = artifact,
            DeviceTypes = types,
            Indexes = indexes,
            Configuration = configuration,
            Identity = identity,
            Probability = probability,
            Phase = phase,
        };
    }

    private static (int, int) ParseRange(string value, string text)
    {
        var dash = value.IndexOf('-', StringComparison.Ordinal);
        var (from, to) = dash < 0 ? (value, value) : (value[..dash], value[(dash + 1)..]);
        if (!int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < first)
        {
            throw new FormatException($"index '{value}' in '{text}' must be N or N-M with N <= M");
        }

        return (first, last);
    }
}

/// <summary>What a rule may look at: the device's index and type, its identity (built on demand) and applied configuration.</summary>
public readonly record struct RuleSubject(int Index, string DeviceType, Func<IReadOnlyDictionary<string, string>> Identity, IReadOnlyDictionary<string, string>? Configuration);
