using System.Security.Cryptography;
using System.Text;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Notifications;

/// <summary>
/// Sends due deliveries: a POST of the body with <c>X-Gitfleet-Event</c>, <c>X-Gitfleet-Delivery</c> and, when the
/// endpoint has a secret, <c>X-Gitfleet-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> (GitHub's
/// scheme). A 2xx answer delivers it; anything else (an error status, a refused connection, a timeout) is retried
/// after 5 s, 10 s, 20 s … at most 10 minutes apart, and given up after <see cref="MaxAttempts"/> attempts. Each
/// attempt's outcome is kept in the delivery log. Due times follow the server's clock; the loop looks every second.
/// </summary>
internal sealed partial class NotificationDispatcher(
    Notifier notifier,
    INotificationStore store,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    public const int MaxAttempts = 12;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(10);

    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks * (1L << Math.Min(20, Math.Max(0, attempts - 1)))));

    /// <summary>Sends every delivery due now; returns how many were attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var due = await store.DueDeliveriesAsync(time.GetUtcNow(), 100, cancellationToken).ConfigureAwait(false);
        foreach (var delivery in due)
        {
            var endpoint = notifier.Endpoints.FirstOrDefault(e => e.Name == delivery.Endpoint);
            if (endpoint is null)
            {
                await store.UpdateDeliveryAsync(delivery with { Status = DeliveryStatus.Failed, LastError = "the endpoint is no longer configured" }, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await store.UpdateDeliveryAsync(await AttemptAsync(endpoint, delivery, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }

        return due.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DeliverDueAsync(stoppingToken).ConfigureAwait(false);
                await notifier.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLoopFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private async Task<NotificationDelivery> AttemptAsync(NotificationEndpoint endpoint, NotificationDelivery delivery, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var attempts = delivery.Attempts + 1;
        int? code = null;
        string? error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Gitfleet-Event", delivery.EventType);
            request.Headers.Add("X-Gitfleet-Delivery", delivery.Id);
            request.Headers.UserAgent.ParseAdd("gitfleet-notifications/1");
            if (endpoint.Secret is { Length: > 0 } secret)
            {
                request.Headers.Add("X-Gitfleet-Signature-256", "sha256=" + Sign(secret, delivery.Payload));
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                LogDelivered(delivery.EventType, endpoint.Name, attempts);
                return delivery with { Status = DeliveryStatus.Delivered, Attempts = attempts, LastAttemptAt = now, LastStatusCode = code, LastError = null };
            }

            error = $"the receiver answered {code}";
        }
        catch (HttpRequestException e)
        {
            // The message names the host and the socket error, never the URL's path or query (Slack URLs are secrets).
            error = e.HttpRequestError == HttpRequestError.ConnectionError ? $"cannot connect to {endpoint.Url.Host}:{endpoint.Url.Port}" : $"request failed ({e.HttpRequestError})";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "no answer within 10 s";
        }

        var givingUp = attempts >= MaxAttempts;
        LogAttemptFailed(delivery.EventType, endpoint.Name, attempts, error, givingUp);
        return delivery with
        {
            Status = givingUp ? DeliveryStatus.Failed : DeliveryStatus.Pending,
            Attempts = attempts,
            LastAttemptAt = now,
            NextAttemptAt = now + Backoff(attempts),
            LastStatusCode = code,
            LastError = error,
        };
    }

    public static string Sign(string secret, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    [LoggerMessage(EventId = 7211, Level = LogLevel.Debug, Message = "Notification {Type} delivered to {Endpoint} (attempt {Attempt})")]
    private partial void LogDelivered(string type, string endpoint, int attempt);

    [LoggerMessage(EventId = 7212, Level = LogLevel.Warning, Message = "Notification {Type} to {Endpoint}, attempt {Attempt}: {Error}; given up: {GivingUp}")]
    private partial void LogAttemptFailed(string type, string endpoint, int attempt, string error, bool givingUp);

    [LoggerMessage(EventId = 7213, Level = LogLevel.Error, Message = "The notification dispatcher failed; retrying in 5 s")]
    private partial void LogLoopFailed(Exception exception);
}
