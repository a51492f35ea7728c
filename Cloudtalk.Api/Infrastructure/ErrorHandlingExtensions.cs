using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>Every error answer is application/problem+json (RFC 9457), whatever produced it.</summary>
public static class ErrorHandlingExtensions
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static IServiceCollection AddApiErrorHandling(this IServiceCollection services)
    {
        services.AddProblemDetails();
        // After the default writer: it answers the clients that accept JSON, this one everybody else.
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>();
        services.AddExceptionHandler<BadHttpRequestExceptionHandler>();
        services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        return services;
    }

    public static WebApplication UseApiErrorHandling(this WebApplication app)
    {
        // Unhandled exceptions: a problem without stack trace or exception text.
        app.UseExceptionHandler();
        // Bodiless error answers (unknown route 404, wrong method 405, binding 400) become problems too.
        app.UseStatusCodePages();
        return app;
    }
}
