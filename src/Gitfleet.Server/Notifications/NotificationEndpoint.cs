using System.Text.Json;
using Gitfleet.Server.Hosting;

namespace Gitfleet.Server.Notifications;

/// <summary>
/// An outbound webhook from the server's settings (<c>notification_webhooks</c>): where events go, the HMAC secret
/// that signs them, which event types it wants (all when empty), and the body format (Gitfleet's JSON event, or a
/// Slack-compatible <c>{"text": …}</c>). The URL and the secret never appear in logs, pages or the delivery log;
/// the name does.
/// </summary>
public sealed record NotificationEndpoint(string Name, Uri Url, string? Secret, IReadOnlyList<string> Events, string Format)
{
    public const string JsonFormat = "json";
    public const string SlackFormat = "slack";

    public bool Wants(string eventType) => Events.Count == 0 || Events.Contains(eventType, StringComparer.Ordinal);

    /// <summary>
    /// Parses the setting: a JSON array of <c>{"name", "url", "secret", "events": [...], "format": "json" | "slack"}</c>.
    /// Throws <see cref="ServerSettingsException"/> naming what is wrong (never echoing a secret or URL).
    /// </summary>
    public static IReadOnlyList<NotificationEndpoint> ParseAll(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ServerSettingsException($"notification_webhooks is not valid JSON (line {e.LineNumber + 1}): an array of {{\"name\", \"url\", \"secret\", \"events\", \"format\"}} expected", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ServerSettingsException("notification_webhooks must be a JSON array of endpoints");
            }

            var endpoints = new List<NotificationEndpoint>();
            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                index++;
                endpoints.Add(Parse(element, index));
            }

            if (endpoints.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new ServerSettingsException($"notification_webhooks: the name '{twice.Key}' is used twice");
            }

            return endpoints;
        }
    }

    private static NotificationEndpoint Parse(JsonElement element, int index)
    {
        string where = $"notification_webhooks[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ServerSettingsException($"{where} must be an object");
        }

        string? Text(string key) => element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is not ("name" or "url" or "secret" or "events" or "format"))
            {
                throw new ServerSettingsException($"{where}: unknown key '{property.Name}' (name, url, secret, events, format)");
            }
        }

        var name = Text("name") is { Length: > 0 and <= 64 } n ? n : throw new ServerSettingsException($"{where}: \"name\" is required (at most 64 characters)");
        where = $"notification_webhooks '{name}'";
        if (!Uri.TryCreate(Text("url"), UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            throw new ServerSettingsException($"{where}: \"url\" must be an http:// or https:// URL");
        }

        var format = Text("format") ?? JsonFormat;
        if (format is not (JsonFormat or SlackFormat))
        {
            throw new ServerSettingsException($"{where}: \"format\" is json or slack, not '{format}'");
        }

        var events = new List<string>();
        if (element.TryGetProperty("events", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw new ServerSettingsException($"{where}: \"events\" must be an array of event types");
            }

            events.AddRange(list.EnumerateArray().Select(e => e.GetString()!));
            if (events.FirstOrDefault(e => !NotificationEvent.Types.Contains(e)) is { } unknown)
            {
                throw new ServerSettingsException($"{where}: unknown event type '{unknown}'; known: {string.Join(", ", NotificationEvent.Types)}");
            }
        }

        return new NotificationEndpoint(name, url, Text("secret"), events, format);
    }
}
