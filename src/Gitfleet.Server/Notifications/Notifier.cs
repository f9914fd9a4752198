using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Gitfleet.Storage.Model;
using Microsoft.Extensions.Logging;

namespace Gitfleet.Server.Notifications;

/// <summary>
/// Turns an event into one durable delivery per endpoint that wants it (written to the store, so a restart or a
/// receiver that is down loses nothing) and wakes the dispatcher. Without endpoints it does nothing.
/// </summary>
internal sealed partial class Notifier(ServerOptions options, INotificationStore store, TimeProvider time, ILogger<Notifier> logger)
{
    private readonly SemaphoreSlim wake = new(0, 1);

    public IReadOnlyList<NotificationEndpoint> Endpoints { get; } = options.NotificationWebhooks;

    public async Task PublishAsync(NotificationEvent notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var targets = Endpoints.Where(e => e.Wants(notification.Type)).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var deliveries = targets.Select(endpoint =>
        {
            var id = Guid.CreateVersion7().ToString();
            return new NotificationDelivery
            {
                Id = id,
                Endpoint = endpoint.Name,
                EventType = notification.Type,
                Payload = notification.Body(id, now, endpoint.Format),
                Status = DeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            };
        }).ToList();
        try
        {
            await store.InsertDeliveriesAsync(deliveries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A notification must never fail the operation that caused it.
            LogNotStored(e, notification.Type);
            return;
        }

        Wake();
    }

    /// <summary>Publishes without making the caller wait for the store (for paths that must stay fast).</summary>
    public void Publish(NotificationEvent notification)
    {
        if (Endpoints.Count > 0)
        {
            _ = PublishAsync(notification, CancellationToken.None);
        }
    }

    public void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await wake.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Error, Message = "The {Type} notification could not be stored; it is not sent")]
    private partial void LogNotStored(Exception exception, string type);
}

public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}
