using System.Text.Json.Nodes;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.ServiceDefaults;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The OpenAPI document at /openapi/v1.json and, in Development, the Scalar reference page.</summary>
public static class OpenApiExtensions
{
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(ProductRequest)] = """{ "name": "Desk lamp", "description": "Warm light", "price": 39.9 }""",
        [typeof(ProductResponse)] = """
            { "id": 1, "name": "Desk lamp", "description": "Warm light", "price": 39.9, "averageRating": 4.5,
              "reviewCount": 2, "createdAt": "2026-11-24T10:00:00Z", "updatedAt": "2026-11-24T10:05:00Z" }
            """,
        [typeof(ReviewRequest)] = """
            { "productId": 1, "firstName": "Ada", "lastName": "Lovelace", "reviewText": "Bright enough.", "rating": 4 }
            """,
        [typeof(ReviewResponse)] = """
            { "id": 7, "productId": 1, "firstName": "Ada", "lastName": "Lovelace", "reviewText": "Bright enough.",
              "rating": 4, "createdAt": "2026-11-24T10:01:00Z", "updatedAt": "2026-11-24T10:01:00Z" }
            """,
        [typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails)] = """
            { "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "One or more validation errors occurred.",
              "status": 400, "errors": { "rating": ["The rating field must be a JSON number; expected a whole number from 1 to 5."],
              "name": ["The name field is required."] } }
            """,
    };

    // The fields a create must send (an update may leave any of them out); optional fields may be left out too.
    private static readonly Dictionary<Type, string[]> RequiredOnCreate = new()
    {
        [typeof(ProductRequest)] = ["name", "price"],
        [typeof(ReviewRequest)] = ["productId", "firstName", "rating"],
    };

    public static IServiceCollection AddApiOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Cloudtalk Api";
                document.Info.Description =
                    "Products and reviews. JSON, camelCase; timestamps are ISO-8601 UTC ending in Z. " +
                    "Every error is application/problem+json (RFC 9457); validation errors are a 400 with " +
                    "`errors` keyed by the camelCase field name, all invalid fields at once. Unknown routes are a 404, " +
                    "a wrong method a 405, a body over 1 MiB a 413, an id that is not a positive whole number a 404.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[OperationsKey.SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The operations key (configuration `Operations:Key`; the AppHost generates it as the " +
                                  "secret parameter `operations-key`). Only the operators' endpoints require it.",
                };
                return Task.CompletedTask;
            });

            // The operators' endpoints list the key they require; the clients' endpoints need none.
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<OperationsKeyRequirement>().Any())
                {
                    operation.Security =
                    [
                        new OpenApiSecurityRequirement
                        {
                            [new OpenApiSecuritySchemeReference(OperationsKey.SecuritySchemeName, context.Document)] = [],
                        },
                    ];
                }

                return Task.CompletedTask;
            });

            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
                {
                    schema.Examples = [JsonNode.Parse(example)!];
                }

                if (RequiredOnCreate.TryGetValue(context.JsonTypeInfo.Type, out var required))
                {
                    schema.Required = new HashSet<string>(required, StringComparer.Ordinal);
                }

                return Task.CompletedTask;
            });

            // page and limit are read as raw strings (so that "abc" is our 400, not a binding failure);
            // the document shows what a client should send.
            options.AddOperationTransformer((operation, _, _) =>
            {
                foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
                {
                    parameter.Schema = parameter.Name switch
                    {
                        "page" => new OpenApiSchema
                        {
                            Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1",
                            Default = JsonValue.Create(PageRequest.DefaultPage),
                        },
                        "limit" => new OpenApiSchema
                        {
                            Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1",
                            Maximum = PageRequest.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            Default = JsonValue.Create(PageRequest.DefaultLimit),
                        },
                        _ => parameter.Schema,
                    };
                }

                return Task.CompletedTask;
            });
        });

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
