// kube-test-apiserver: a real Kubernetes API server that serves CustomResourceDefinitions and
// custom resources, for esb's integration tests (what envtest gives Go operators). Built from
// Debian's packaged upstream sources by build.sh beside this file; see docs/kube.md.
//
// It is the upstream apiextensions-apiserver (k8s.io/apiextensions-apiserver 0.36) with its own
// main, because the stock one needs a core API server (delegated authn/authz, namespace
// lifecycle admission) and turns /apis discovery off. Here:
//   - no core-API connection, no admission, no priority-and-fairness;
//   - static bearer token (--token) authenticating a user in system:masters, who may do
//     anything; any other token or none -> 401/403;
//   - /apis discovery on: aggregated (CRD groups, upstream) and unaggregated (groups of
//     established CRDs, kept in sync by an informer below);
//   - OpenAPI v2 and v3 served (kubectl apply validates against them).
// Flags: the upstream ones (--etcd-servers, --secure-port, --bind-address, --cert-dir, ...)
// plus --token.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"sync"

	"github.com/spf13/cobra"
	noopoteltrace "go.opentelemetry.io/otel/trace/noop"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/cli"
	netutils "k8s.io/utils/net"
)

// noServices: conversion webhooks would need Services, which this server does not have.
type noServices struct{}

func (noServices) ResolveEndpoint(namespace, name string, port int32) (*url.URL, error) {
	return nil, fmt.Errorf("kube-test-apiserver has no Services (asked for %s/%s:%d)", namespace, name, port)
}

func main() {
	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	// No core API server behind us: no delegated authn/authz, no admission, no APF.
	o.RecommendedOptions.CoreAPI = nil
	o.RecommendedOptions.Authentication = nil
	o.RecommendedOptions.Authorization = nil
	o.RecommendedOptions.Admission = nil
	o.RecommendedOptions.Features.EnablePriorityAndFairness = false
	var token string

	cmd := &cobra.Command{
		Use:   "kube-test-apiserver",
		Short: "A CRD-serving Kubernetes API server for tests (no core API)",
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return o.ServerRunOptions.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, _ []string) error {
			if token == "" {
				return errors.New("--token is required")
			}
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return run(c.Context(), o, token)
		},
	}
	cmd.SetContext(genericapiserver.SetupSignalContext())
	o.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&token, "token", "", "bearer token of the single user (in system:masters)")
	os.Exit(cli.Run(cmd))
}

func run(ctx context.Context, o *options.CustomResourceDefinitionsServerOptions, token string) error {
	if err := o.RecommendedOptions.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return fmt.Errorf("self-signed certificates: %w", err)
	}
	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	if err := o.ServerRunOptions.ApplyTo(&serverConfig.Config); err != nil {
		return err
	}
	if err := o.RecommendedOptions.ApplyTo(serverConfig); err != nil {
		return err
	}
	if err := o.APIEnablement.ApplyTo(&serverConfig.Config, apiserver.DefaultAPIResourceConfigSource(), apiserver.Scheme); err != nil {
		return err
	}

	// Authentication: our static token; authorization: system:masters may do anything.
	serverConfig.Authentication.Authenticator = authenticatorfactory.NewFromTokens(map[string]*user.DefaultInfo{
		token: {Name: "esb-test-admin", UID: "esb-test-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}},
	}, nil)
	serverConfig.Authorization.Authorizer = authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)
	// The server's own loopback client (CRD controllers) gets a privileged token too.
	genericapiserver.AuthorizeClientBearerToken(serverConfig.LoopbackClientConfig, &serverConfig.Authentication, &serverConfig.Authorization)

	defs := openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(generatedopenapi.GetOpenAPIDefinitions)
	namer := openapinamer.NewDefinitionNamer(apiserver.Scheme, scheme.Scheme)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(defs, namer)
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(defs, namer)

	config := &apiserver.Config{
		GenericConfig: serverConfig,
		ExtraConfig: apiserver.ExtraConfig{
			CRDRESTOptionsGetter: options.NewCRDRESTOptionsGetter(*o.RecommendedOptions.Etcd, serverConfig.ResourceTransformers, serverConfig.StorageObjectCountTracker),
			ServiceResolver:      noServices{},
			AuthResolverWrapper:  webhook.NewDefaultAuthenticationInfoResolverWrapper(nil, nil, serverConfig.LoopbackClientConfig, noopoteltrace.NewTracerProvider()),
		},
	}
	completed := config.Complete()
	// Upstream turns discovery off (kube-apiserver's aggregator serves /apis); we are alone.
	completed.GenericConfig.EnableDiscovery = true
	server, err := completed.New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}

	// Unaggregated /apis: list the group of every established CRD (the aggregated form is
	// already kept up to date by upstream's discovery controller).
	groups := server.GenericAPIServer.DiscoveryGroupManager
	crds := server.Informers.Apiextensions().V1().CustomResourceDefinitions()
	added := map[string]bool{}
	var mu sync.Mutex
	syncGroups := func() {
		mu.Lock()
		defer mu.Unlock()
		all, err := crds.Lister().List(labels.Everything())
		if err != nil {
			return
		}
		byGroup := map[string][]apiextensionsv1.CustomResourceDefinitionVersion{}
		for _, crd := range all {
			if !established(crd) {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if v.Served {
					byGroup[crd.Spec.Group] = append(byGroup[crd.Spec.Group], v)
				}
			}
		}
		for group, versions := range byGroup {
			sort.SliceStable(versions, func(i, j int) bool { return versions[i].Storage && !versions[j].Storage })
			apiGroup := metav1.APIGroup{Name: group}
			for _, v := range versions {
				apiGroup.Versions = append(apiGroup.Versions, metav1.GroupVersionForDiscovery{GroupVersion: group + "/" + v.Name, Version: v.Name})
			}
			apiGroup.PreferredVersion = apiGroup.Versions[0]
			groups.AddGroup(apiGroup)
			added[group] = true
		}
		for group := range added {
			if _, ok := byGroup[group]; !ok {
				groups.RemoveGroup(group)
				delete(added, group)
			}
		}
	}
	if _, err := crds.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { syncGroups() },
		UpdateFunc: func(any, any) { syncGroups() },
		DeleteFunc: func(any) { syncGroups() },
	}); err != nil {
		return err
	}

	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}
