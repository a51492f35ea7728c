using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cloudtalk.Api.Security;

/// <summary>The Api's protective measures: security headers, no server banner, a per-client write rate limit.</summary>
public static class ApiSecurityExtensions
{
    public static IHostApplicationBuilder AddApiSecurity(this IHostApplicationBuilder builder)
    {
        // "Server: Kestrel" tells an attacker what to try; nothing needs it.
        builder.Services.Configure<KestrelServerOptions>(options => options.AddServerHeader = false);
        builder.Services.AddWriteRateLimiting(builder.Configuration);
        return builder;
    }

    /// <summary>Call first, so that every answer (errors and rate-limit rejections too) carries the headers.</summary>
    public static WebApplication UseApiSecurity(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeaders>();
        // Before the endpoints read a body: a rejected write costs next to nothing and changes nothing.
        app.UseRateLimiter();
        return app;
    }
}
