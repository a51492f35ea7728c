using Scalar.AspNetCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The OpenAPI document at /openapi/v1.json and, in Development, the Scalar reference page.</summary>
public static class OpenApiExtensions
{
    public static IServiceCollection AddApiOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Cloudtalk Api";
            document.Info.Description =
                "Products and reviews. JSON, camelCase; timestamps are ISO-8601 UTC ending in Z. " +
                "Every error is application/problem+json (RFC 9457); validation errors are a 400 with " +
                "`errors` keyed by the camelCase field name, all invalid fields at once. Unknown routes are a 404, " +
                "a wrong method a 405, a body over 1 MiB a 413, an id that is not a positive whole number a 404.";
            return Task.CompletedTask;
        }));

    public static WebApplication MapApiOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }

        return app;
    }
}
