using System.Runtime.CompilerServices;
using Gitfleet.Core.Resolution;
using Gitfleet.Server.Reconcile;

namespace Gitfleet.Server.Api.Redaction;

/// <summary>
/// Redaction of secret-derived values on management reads (facts, deviceconfig, history, deployment logs): a value is
/// shown as *** when its key is secret (the branches' targets mark it so, the deployment recorded it, or its name
/// looks like one: token, password, secret, key, credential) or when it holds a secret value the targets carry.
/// Free text (a device's log) has every secret value replaced.
/// </summary>
internal sealed class SecretRedactor
{
    /// <summary>Secret values shorter than this are only redacted by key: replacing "1" in every text would hide everything.</summary>
    private const int MinimumValueLength = 4;

    private static readonly string[] SecretWords = ["token", "password", "passwd", "secret", "key", "credential"];

    private readonly IReadOnlySet<string> keys;
    private readonly string[] values;
    private readonly ConditionalWeakTable<IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>> redacted = new();

    public SecretRedactor(IReadOnlySet<string> keys, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        this.keys = keys;

        // Longest first, so a secret that contains another is replaced whole.
        this.values = values.Where(v => v.Length >= MinimumValueLength).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length).ToArray();
    }

    /// <summary>The redactor for the secrets the server's branch targets hold now.</summary>
    public static async Task<SecretRedactor> CurrentAsync(RolloutEngine engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        await engine.LoadAsync(cancellationToken).ConfigureAwait(false);
        var (keys, values) = engine.SecretsInTargets();
        return new SecretRedactor(keys, values);
    }

    public static bool LooksSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return SecretWords.Any(word => key.Contains(word, StringComparison.OrdinalIgnoreCase));
    }

    public bool IsSecret(string key, string value, IReadOnlyCollection<string>? moreSecretKeys = null) =>
        keys.Contains(key) || moreSecretKeys?.Contains(key) == true || LooksSecret(key) || HoldsSecretValue(value);

    /// <summary>
    /// The map with secret values as ***; the same instance when nothing is secret. Results are remembered per map
    /// instance (the store shares one map among the devices that report the same configuration).
    /// </summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(map))]
    public IReadOnlyDictionary<string, string>? Map(IReadOnlyDictionary<string, string>? map, IReadOnlyCollection<string>? moreSecretKeys = null)
    {
        if (map is null)
        {
            return null;
        }

        if (moreSecretKeys is null && redacted.TryGetValue(map, out var known))
        {
            return known;
        }

        Dictionary<string, string>? copy = null;
        foreach (var (key, value) in map)
        {
            if (value != RenderedConfiguration.Redacted && IsSecret(key, value, moreSecretKeys))
            {
                copy ??= new Dictionary<string, string>(map, StringComparer.Ordinal);
                copy[key] = RenderedConfiguration.Redacted;
            }
        }

        var result = copy ?? map;
        if (moreSecretKeys is null)
        {
            redacted.AddOrUpdate(map, result);
        }

        return result;
    }

    /// <summary>Text with every secret value replaced by ***.</summary>
    public string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var value in values)
        {
            text = text.Replace(value, RenderedConfiguration.Redacted, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>A branch status with secret values taken out of its messages (failure reasons quote device logs).</summary>
    public Core.Reconcile.BranchStatus Status(Core.Reconcile.BranchStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return values.Length == 0 ? status : status with
        {
            Issues = status.Issues.Select(i => i with { Reason = Text(i.Reason) }).ToList(),
            Errors = status.Errors.Select(Text).ToList(),
            Conditions = status.Conditions.Select(c => c with { Message = Text(c.Message) }).ToList(),
            Rollout = status.Rollout is { } rollout ? rollout with { Message = Text(rollout.Message) } : null,
        };
    }

    public Core.Reconcile.GateResult Gate(Core.Reconcile.GateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return values.Length == 0 ? result : result with { Reasons = result.Reasons.Select(Text).ToList() };
    }

    private bool HoldsSecretValue(string value)
    {
        foreach (var secret in values)
        {
            if (value.Contains(secret, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
