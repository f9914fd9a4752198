using Gitfleet.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gitfleet.Server.Delivery;

/// <summary>Registers delta updates and download links (docs/artifacts.md, "Narrowband delivery").</summary>
internal static class DeliveryServices
{
    public static IServiceCollection AddDelivery(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => sp.GetRequiredService<ServerOptions>().Delivery);
        services.TryAddSingleton<DeltaFiles>();
        services.TryAddSingleton<ImageCache>();
        services.TryAddSingleton<DeltaGenerator>();
        services.TryAddSingleton<DeltaQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<DeltaQueue>());
        services.TryAddSingleton<ImageArtifacts>();
        services.TryAddSingleton<DeltaRequests>();
        services.TryAddSingleton<DeltaOffers>();
        services.TryAddSingleton<OfferLinks>();
        services.TryAddSingleton<CatalogBuilder>();
        services.TryAddSingleton<TransferCostsCache>();
        return services;
    }
}
