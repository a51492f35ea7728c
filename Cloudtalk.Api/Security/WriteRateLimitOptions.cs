namespace Cloudtalk.Api.Security;

/// <summary>
/// The per-client limit on writes (POST, PUT, DELETE, PATCH), from the configuration section
/// <c>RateLimiting:Writes</c>: at most <see cref="PermitLimit"/> writes per client IP in each fixed window of
/// <see cref="WindowSeconds"/> seconds. Reads are never limited: they are cheap (cached) and the contract's
/// read-after-write promise should not depend on a budget.
/// </summary>
public sealed class WriteRateLimitOptions
{
    public const string SectionName = "RateLimiting:Writes";

    /// <summary>
    /// On by default (appsettings.json); off in Development (appsettings.Development.json), where the demo, the
    /// tests and the benchmark (3,000+ writes/s from one loopback client) would otherwise hit it.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Writes one client IP may make per window. Generous: a person or a well-behaved client never meets it.</summary>
    public int PermitLimit { get; set; } = 300;

    public int WindowSeconds { get; set; } = 10;
}
