using Gitfleet.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gitfleet.Server.Notifications;

/// <summary>Outbound webhooks (docs/notifications.md): services, and the delivery log on the management API.</summary>
internal static class NotificationApi
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => (INotificationStore)sp.GetRequiredService<IFleetStore>());
        services.TryAddSingleton<Notifier>();
        services.TryAddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.TryAddSingleton<EventWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<EventWatcher>());
        return services;
    }

    public static void MapNotificationApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/management/v1/gitfleet/notifications/deliveries", async (HttpContext context, INotificationStore store, CancellationToken cancellationToken) =>
        {
            var limit = int.TryParse(context.Request.Query["limit"], out var n) ? Math.Clamp(n, 1, 500) : 100;
            return Results.Ok((await store.ListDeliveriesAsync(limit, cancellationToken).ConfigureAwait(false)).Select(d => new DeliveryShape(
                d.Id, d.Endpoint, d.EventType, d.Status, d.Attempts, d.CreatedAt, d.LastAttemptAt, d.NextAttemptAt, d.LastStatusCode, d.LastError)));
        });

    private sealed record DeliveryShape(
        string Id, string Endpoint, string Event, string Status, int Attempts, DateTimeOffset Created, DateTimeOffset? LastAttempt, DateTimeOffset NextAttempt, int? LastStatusCode, string? LastError);
}
