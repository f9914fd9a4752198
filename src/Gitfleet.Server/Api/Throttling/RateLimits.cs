using System.Globalization;
using System.Threading.RateLimiting;
using Gitfleet.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Gitfleet.Server.Api.Throttling;

/// <summary>
/// The server's rate limits (docs/server.md): ASP.NET Core's rate limiting middleware for login attempts per source
/// address, and <see cref="AuthRequestThrottle"/> for device auth requests that would create devices or auth sets.
/// A refused request is a Mender-style JSON 429 with Retry-After.
/// </summary>
public static class RateLimits
{
    public const string LoginPolicy = "login";

    public static IServiceCollection AddGitfleetRateLimits(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(_ => new AuthRequestThrottle(options));
        return services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture)
                    : "1";
                await ApiMiddleware.WriteErrorAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"too many login attempts from this address; try again in {seconds} s", seconds).ConfigureAwait(false);
            };
            limiter.AddPolicy(LoginPolicy, context =>
            {
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return options.LoginsPerAddressPerMinute <= 0
                    ? RateLimitPartition.GetNoLimiter(address)
                    : RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.LoginsPerAddressPerMinute,
                        TokensPerPeriod = 1,
                        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / options.LoginsPerAddressPerMinute,
                        QueueLimit = 0,
                        AutoReplenishment = false,
                    });
            });
        });
    }
}
