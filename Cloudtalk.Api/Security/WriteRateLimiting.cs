using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Cloudtalk.Api.Security;

/// <summary>
/// The per-client write limit as one global ASP.NET Core rate limiter, so that it covers every write route
/// (including unknown ones) without each endpoint opting in. A rejected write never reaches its endpoint,
/// so it changes nothing; it is answered 429 as a problem with a Retry-After header.
/// </summary>
public static class WriteRateLimiting
{
    public static IServiceCollection AddWriteRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WriteRateLimitOptions>()
            .Bind(configuration.GetSection(WriteRateLimitOptions.SectionName))
            .Validate(o => o.PermitLimit > 0 && o.WindowSeconds > 0, "RateLimiting:Writes needs a positive PermitLimit and WindowSeconds.")
            .ValidateOnStart();

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<WriteRateLimitOptions>>((options, writes) =>
        {
            var limit = writes.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !limit.Enabled || !IsWrite(context.Request.Method)
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetFixedWindowLimiter(ClientKey(context), _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = limit.PermitLimit,
                        Window = TimeSpan.FromSeconds(limit.WindowSeconds),
                        // No queue: a client over its budget is told so at once instead of holding a connection.
                        QueueLimit = 0,
                    }));
            options.OnRejected = WriteRejectionAsync;
        });
        return services;
    }

    private static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsPatch(method);

    // Partitioned by the connection's address. Behind a reverse proxy this is the proxy's address unless the
    // forwarded-headers middleware is enabled (ASPNETCORE_FORWARDEDHEADERS_ENABLED=true) for a trusted proxy.
    private static string ClientKey(HttpContext context) =>
        (context.Connection.RemoteIpAddress ?? IPAddress.None).ToString();

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        // A fixed window knows when it resets; round up so a client that waits that long is admitted.
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : context.RequestServices.GetRequiredService<IOptions<WriteRateLimitOptions>>().Value.WindowSeconds;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);

        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"Too many writes from this client; try again in {retryAfter} s.",
            },
        });
    }
}
