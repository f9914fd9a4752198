using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Gitfleet.Server.Hosting;

namespace Gitfleet.Server.Api.Throttling;

/// <summary>
/// Throttles the unauthenticated device auth requests that would write: a new identity (a new pending device) or a
/// new key for a known identity (a new auth set). Token buckets (System.Threading.RateLimiting, the limiters
/// under ASP.NET Core's rate limiting) per source address and per identity, and one for the whole server's new
/// pending devices. An auth request of a known identity with its known key writes nothing and is never throttled,
/// so accepted devices renewing their tokens, preauthorized ones and pending ones polling are not slowed.
/// </summary>
public sealed class AuthRequestThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string>? perAddress;
    private readonly PartitionedRateLimiter<string>? perIdentity;
    private readonly TokenBucketRateLimiter? newDevices;

    public AuthRequestThrottle(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        perAddress = Partitioned(options.AuthRequestsPerAddressPerMinute);
        perIdentity = Partitioned(options.AuthRequestsPerIdentityPerMinute);
        newDevices = options.NewDevicesPerMinute > 0 ? new TokenBucketRateLimiter(Bucket(options.NewDevicesPerMinute, autoReplenish: true)) : null;
    }

    /// <summary>Takes a token from each bucket that applies; returns why (and how long to wait) when one is empty, else null.</summary>
    public ThrottleRefusal? TryAcquire(IPAddress? address, string identityKey, bool createsDevice)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        var source = address?.IsIPv4MappedToIPv6 == true ? address.MapToIPv4() : address;
        if (Acquire(perAddress?.AttemptAcquire(source?.ToString() ?? "unknown")) is { } wait)
        {
            return new ThrottleRefusal($"too many auth requests for new devices or keys from {source}", wait);
        }

        if (Acquire(perIdentity?.AttemptAcquire(identityKey)) is { } identityWait)
        {
            return new ThrottleRefusal("too many auth requests with new keys for this identity", identityWait);
        }

        if (createsDevice && Acquire(newDevices?.AttemptAcquire()) is { } globalWait)
        {
            return new ThrottleRefusal("the server admits no more new pending devices this minute", globalWait);
        }

        return null;
    }

    public void Dispose()
    {
        perAddress?.Dispose();
        perIdentity?.Dispose();
        newDevices?.Dispose();
    }

    /// <summary>Null when acquired (or no limiter), else how long to wait.</summary>
    private static TimeSpan? Acquire(RateLimitLease? lease)
    {
        if (lease is null)
        {
            return null;
        }

        using (lease)
        {
            if (lease.IsAcquired)
            {
                return null;
            }

            return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        }
    }

    private static PartitionedRateLimiter<string>? Partitioned(int perMinute) =>
        perMinute <= 0
            ? null
            : PartitionedRateLimiter.Create<string, string>(key =>
                RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(perMinute, autoReplenish: false)), StringComparer.Ordinal);

    /// <summary>A bucket of <paramref name="perMinute"/> tokens (the burst), refilled evenly over a minute.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int perMinute, bool autoReplenish)
    {
        var tokensPerPeriod = Math.Max(1, perMinute / 600);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * tokensPerPeriod / perMinute,
            QueueLimit = 0,
            AutoReplenishment = autoReplenish,
        };
    }
}

/// <summary>Why a request was throttled and when to try again (429 with Retry-After).</summary>
public sealed record ThrottleRefusal(string Reason, TimeSpan RetryAfter)
{
    public string RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
