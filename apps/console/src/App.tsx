import { AppShell, Burger, Button, Group, Loader, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link, Route, Switch, useLocation } from "wouter";
import { getToken, isAdminToken, setToken } from "./api";
import { ErrorBoundary } from "./components";
import { Home } from "./pages/Home";
import { Login } from "./pages/Login";

// Every page but the first ones a user sees is its own chunk, loaded when opened.
const NewCampaign = lazy(() => import("./pages/NewCampaign"));
const Batches = lazy(() => import("./pages/Batches"));
const BatchPage = lazy(() => import("./pages/BatchPage"));
const Numbers = lazy(() => import("./pages/Numbers"));
const Replies = lazy(() => import("./pages/Replies"));
const Webhooks = lazy(() => import("./pages/Webhooks"));
const Tokens = lazy(() => import("./pages/Tokens"));
const Operator = lazy(() => import("./pages/Operator"));

const ACCOUNT_LINKS = [
  { href: "/", label: "Home" },
  { href: "/campaigns/new", label: "New campaign" },
  { href: "/batches", label: "Batches" },
  { href: "/numbers", label: "Numbers" },
  { href: "/replies", label: "Replies" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/tokens", label: "API tokens" },
];
const ADMIN_LINKS = [{ href: "/operator", label: "Operator view" }];

export function App() {
  const [token, setTokenState] = useState(getToken);
  const [opened, { toggle, close }] = useDisclosure();
  const [location, navigate] = useLocation();
  const queryClient = useQueryClient();

  if (!token) {
    return (
      <Login
        onLogin={(value) => {
          setToken(value);
          setTokenState(value);
          navigate(isAdminToken(value) ? "/operator" : "/");
        }}
      />
    );
  }
  const admin = isAdminToken(token);
  const links = admin ? ADMIN_LINKS : ACCOUNT_LINKS;
  const logout = () => {
    setToken(null);
    setTokenState(null);
    queryClient.clear();
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h3">
              Salvo
            </Title>
            {admin && (
              <Text size="sm" c="dimmed">
                operator
              </Text>
            )}
          </Group>
          <Button variant="default" size="xs" onClick={logout}>
            Log out
          </Button>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Pages">
        {links.map((link) => (
          <NavLink
            key={link.href}
            component={Link}
            href={link.href}
            label={link.label}
            active={link.href === "/" ? location === "/" : location.startsWith(link.href)}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <ErrorBoundary key={location}>
          <Suspense fallback={<Loader aria-label="Loading" />}>
            {admin ? (
              <Switch>
                <Route path="/operator/*?" component={Operator} />
                <Route>
                  <Operator />
                </Route>
              </Switch>
            ) : (
              <Switch>
                <Route path="/" component={Home} />
                <Route path="/campaigns/new" component={NewCampaign} />
                <Route path="/batches" component={Batches} />
                <Route path="/batches/:id" component={BatchPage} />
                <Route path="/numbers" component={Numbers} />
                <Route path="/replies" component={Replies} />
                <Route path="/webhooks" component={Webhooks} />
                <Route path="/tokens" component={Tokens} />
                <Route>
                  <Title order={2}>Page not found</Title>
                </Route>
              </Switch>
            )}
          </Suspense>
        </ErrorBoundary>
      </AppShell.Main>
    </AppShell>
  );
}
