using System.ComponentModel;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Paging;
using Cloudtalk.Api.Reviews;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cloudtalk.Api.Products;

public static class ProductsApi
{
    public static IEndpointRouteBuilder MapProductsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/products").WithTags("Products");

        api.MapPost("", CreateProduct)
            .WithName("CreateProduct")
            .WithSummary("Create a product")
            .WithDescription("Creates a product. `averageRating` and `reviewCount` start at 0 and are owned by the server " +
                "(sent by a client, they are ignored, as are unknown fields). Every invalid field is reported at once. " +
                "With an `Idempotency-Key` header, a repeated request gets the first answer instead of a second product.")
            .Accepts<ProductRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        api.MapGet("", ListProducts)
            .WithName("ListProducts")
            .WithSummary("List products")
            .WithDescription("One page of products, ordered by id ascending.")
            .ProducesValidationProblem();

        api.MapGet("{id:long}", GetProduct)
            .WithName("GetProduct")
            .WithSummary("Get a product")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("{id:long}", UpdateProduct)
            .WithName("UpdateProduct")
            .WithSummary("Update a product")
            .WithDescription("Takes the same fields as create. A field left out keeps its current value; " +
                "`description` sent as null is cleared; `name` or `price` sent as null is a 400.")
            .Accepts<ProductRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        api.MapDelete("{id:long}", DeleteProduct)
            .WithName("DeleteProduct")
            .WithSummary("Delete a product and its reviews")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("{id:long}/reviews", ListProductReviews)
            .WithName("ListProductReviews")
            .WithSummary("List a product's reviews")
            .WithDescription("One page of the product's reviews, newest first (ties by id, descending).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<ProductResponse>, ValidationProblem, ProblemHttpResult>> CreateProduct(
        HttpRequest request, ProductRepository products,
        // Bound for the OpenAPI document; IdempotentRequest.Read checks the raw header, where a repeated one shows.
        [FromHeader(Name = IdempotentRequest.HeaderName), Description(IdempotentRequest.HeaderDescription)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var errors = new ValidationErrors();
            var idempotency = IdempotentRequest.Read(request, document!.RootElement, errors);
            var input = ProductRules.Parse(new JsonFields(document.RootElement, errors), errors, creating: true);
            if (input is null || !errors.IsEmpty)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary());
            }

            return await products.CreateAsync(input, idempotency, cancellationToken) switch
            {
                ({ } created, _) => TypedResults.Created(Location(created.Id), created),
                (_, { Replay: { } replay }) => IdempotentAnswers.Replay<ProductResponse>(request.HttpContext.Response, replay),
                _ => IdempotentAnswers.KeyReused(),
            };
        }
    }

    public static async Task<Results<Ok<PagedList<ProductResponse>>, ValidationProblem>> ListProducts(
        [FromQuery, Description(PageRequest.PageDescription)] string? page,
        [FromQuery, Description(PageRequest.LimitDescription)] string? limit,
        ProductRepository products, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (PageRequest.Parse(page, limit, errors) is not { } paging)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        return TypedResults.Ok(await products.ListAsync(paging, cancellationToken));
    }

    public static async Task<Results<Ok<ProductResponse>, ProblemHttpResult>> GetProduct(
        long id, ProductRepository products, CancellationToken cancellationToken) =>
        id > 0 && await products.GetAsync(id, cancellationToken) is { } product
            ? TypedResults.Ok(product)
            : NotFound(id);

    public static async Task<Results<Ok<ProductResponse>, ValidationProblem, ProblemHttpResult>> UpdateProduct(
        long id, HttpRequest request, ProductRepository products, CancellationToken cancellationToken)
    {
        if (id <= 0)
        {
            return NotFound(id);
        }

        var (document, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var errors = new ValidationErrors();
            var input = ProductRules.Parse(new JsonFields(document!.RootElement, errors), errors, creating: false);
            if (input is null)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary());
            }

            return await products.UpdateAsync(id, input, cancellationToken) is { } updated
                ? TypedResults.Ok(updated)
                : NotFound(id);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteProduct(
        long id, ProductRepository products, CancellationToken cancellationToken) =>
        id > 0 && await products.DeleteAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(id);

    public static async Task<Results<Ok<PagedList<ReviewResponse>>, ValidationProblem, ProblemHttpResult>> ListProductReviews(
        long id,
        [FromQuery, Description(PageRequest.PageDescription)] string? page,
        [FromQuery, Description(PageRequest.LimitDescription)] string? limit,
        ReviewRepository reviews, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (PageRequest.Parse(page, limit, errors) is not { } paging)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary());
        }

        return id > 0 && await reviews.ListForProductAsync(id, paging, cancellationToken) is { } list
            ? TypedResults.Ok(list)
            : NotFound(id);
    }

    internal static string Location(long id) => $"/api/products/{id}";

    internal static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"There is no product with id {id}.");
}
